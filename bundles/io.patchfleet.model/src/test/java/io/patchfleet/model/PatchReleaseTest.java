package io.patchfleet.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class PatchReleaseTest {
    static final KernelId KERNEL = KernelId.of("5.15.0-91-generic", "x86_64", "#101-Ubuntu SMP");
    static final Sha256 SHA = Sha256.digestOf(new byte[] {1});

    static PatchRelease release(long version, long supersedes, List<Cve> cves) {
        return new PatchRelease(KERNEL, version, "lkp_Ubuntu_5_15_0_91_generic_" + version,
                "5.15.0-91-generic/x86_64/lkp-" + version + ".ko", SHA, 1234, cves, "fixes", Instant.EPOCH,
                supersedes, false);
    }

    @Test
    void validReleaseKeepsFieldsAndCopiesCves() {
        List<Cve> cves = new ArrayList<>(List.of(new Cve("CVE-2024-1086", Severity.HIGH),
                new Cve("CVE-2023-0001", Severity.CRITICAL)));
        PatchRelease r = release(3, 2, cves);
        cves.clear();
        assertEquals(2, r.cves().size());
        assertEquals(Severity.CRITICAL, r.highestSeverity());
        assertEquals(Severity.UNKNOWN, release(1, 0, List.of()).highestSeverity());
        assertTrue(r.withRevoked(true).revoked());
        assertFalse(r.revoked());
    }

    @Test
    void versionAndSupersedesAreConsistent() {
        assertThrows(IllegalArgumentException.class, () -> release(0, 0, List.of()));
        assertThrows(IllegalArgumentException.class, () -> release(3, 3, List.of()));
        assertThrows(IllegalArgumentException.class, () -> release(3, -1, List.of()));
    }

    @Test
    void duplicateCvesAreRejected() {
        Cve cve = new Cve("CVE-2024-1086", Severity.HIGH);
        assertThrows(IllegalArgumentException.class, () -> release(1, 0, List.of(cve, cve)));
        assertThrows(NullPointerException.class, () -> release(1, 0, Collections.singletonList(null)));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "/abs.ko", "a/../b.ko", "../b.ko", "a//b.ko", "a/./b.ko", "a\\b.ko", "a b.ko", "a/"})
    void targetNamesCannotEscape(String name) {
        assertThrows(IllegalArgumentException.class, () -> PatchRelease.checkTargetName(name));
    }

    @Test
    void moduleNameAndLengthAreBounded() {
        assertThrows(IllegalArgumentException.class, () -> new PatchRelease(KERNEL, 1, "lkp-dash", "a.ko", SHA, 1,
                List.of(), "", Instant.EPOCH, 0, false));
        assertThrows(IllegalArgumentException.class, () -> new PatchRelease(KERNEL, 1, "lkp", "a.ko", SHA,
                PatchRelease.MAX_LENGTH + 1, List.of(), "", Instant.EPOCH, 0, false));
        assertThrows(IllegalArgumentException.class, () -> new PatchRelease(KERNEL, 1, "lkp", "a.ko", SHA, 0,
                List.of(), "", Instant.EPOCH, 0, false));
    }

    @Test
    void reportValidatesAndBoundsEvents() {
        MachineEvent e = new MachineEvent(MachineEvent.Kind.HEALTH_PING, Instant.EPOCH, 1, "ok");
        MachineReport r = new MachineReport(MachineId.of("m1"), KERNEL, PatchState.APPLIED, 1, "1.0.0",
                Instant.EPOCH, Duration.ofHours(1), new ArrayList<>(List.of(e)));
        assertEquals(List.of(e), r.events());
        assertThrows(IllegalArgumentException.class, () -> new MachineReport(MachineId.of("m1"), KERNEL,
                PatchState.APPLIED, 1, "1.0.0", Instant.EPOCH, Duration.ofSeconds(-1), List.of()));
        assertThrows(IllegalArgumentException.class, () -> new MachineReport(MachineId.of("m1"), KERNEL,
                PatchState.APPLIED, -1, "1.0.0", Instant.EPOCH, Duration.ZERO, List.of()));
        assertThrows(IllegalArgumentException.class, () -> new MachineReport(MachineId.of("m1"), KERNEL,
                PatchState.APPLIED, 1, "1.0.0", Instant.EPOCH, Duration.ZERO,
                Collections.nCopies(MachineReport.MAX_EVENTS + 1, e)));
        assertThrows(IllegalArgumentException.class, () -> new MachineReport(MachineId.of("m1"), KERNEL,
                PatchState.APPLIED, 1, "1.0 beta", Instant.EPOCH, Duration.ZERO, List.of()));
        assertThrows(IllegalArgumentException.class, () -> new MachineEvent(MachineEvent.Kind.ERROR, Instant.EPOCH,
                0, "x".repeat(MachineEvent.MAX_DETAIL + 1)));
    }
}
