package io.patchfleet.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class WireNamesTest {

    @Test
    void patchStatesUseTheReferenceWireNames() {
        assertEquals(List.of("applied", "apply-failed", "unapplied", "needs-check", "nothing-to-apply", "unknown",
                "check-failed", "applied-with-bug", "kernel-upgrade-required"),
                Arrays.stream(PatchState.values()).map(PatchState::wireName).toList());
        for (PatchState s : PatchState.values()) {
            assertEquals(s, PatchState.fromWire(s.wireName()));
        }
    }

    @Test
    void otherWireEnumsRoundTrip() {
        assertEquals(List.of("checked", "needs-check", "check-failed"),
                Arrays.stream(CheckState.values()).map(CheckState::wireName).toList());
        assertEquals(List.of("supported", "kernel-upgrade-required", "kernel-end-of-life", "unsupported", "unknown"),
                Arrays.stream(KernelSupport.values()).map(KernelSupport::wireName).toList());
        assertEquals(List.of("before-insert", "after-insert", "after-transition", "health-ping", "error"),
                Arrays.stream(MachineEvent.Kind.values()).map(MachineEvent.Kind::wireName).toList());
        for (CheckState s : CheckState.values()) {
            assertEquals(s, CheckState.fromWire(s.wireName()));
        }
        for (KernelSupport s : KernelSupport.values()) {
            assertEquals(s, KernelSupport.fromWire(s.wireName()));
        }
        for (MachineEvent.Kind k : MachineEvent.Kind.values()) {
            assertEquals(k, MachineEvent.Kind.fromWire(k.wireName()));
        }
        for (Severity s : Severity.values()) {
            assertEquals(s, Severity.fromWire(s.wireName()));
        }
    }

    @Test
    void unknownOrJavaNamesAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> PatchState.fromWire("APPLY_FAILED"));
        assertThrows(IllegalArgumentException.class, () -> PatchState.fromWire("Applied"));
        assertThrows(IllegalArgumentException.class, () -> PatchState.fromWire(""));
        assertThrows(NullPointerException.class, () -> PatchState.fromWire(null));
        assertThrows(IllegalArgumentException.class, () -> KernelSupport.fromWire("end-of-life"));
    }
}
