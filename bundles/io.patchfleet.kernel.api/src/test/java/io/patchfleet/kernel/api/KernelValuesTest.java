package io.patchfleet.kernel.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class KernelValuesTest {

    @Test
    void transitionTimeoutIsBounded() {
        assertEquals(Duration.ofSeconds(75), ApplyOptions.DEFAULTS.transitionTimeout());
        assertThrows(IllegalArgumentException.class, () -> new ApplyOptions(Duration.ZERO, true, true));
        assertThrows(IllegalArgumentException.class, () -> new ApplyOptions(Duration.ofSeconds(-1), true, true));
        assertThrows(IllegalArgumentException.class,
                () -> new ApplyOptions(ApplyOptions.MAX_TIMEOUT.plusSeconds(1), true, true));
        assertEquals(ApplyOptions.MAX_TIMEOUT, ApplyOptions.checkTimeout(ApplyOptions.MAX_TIMEOUT));
    }

    @Test
    void sysfsFlagsMapToTransitionStates() {
        assertEquals(LoadedPatch.TransitionState.PATCHED, new LoadedPatch("lkp_1", true, false).state());
        assertEquals(LoadedPatch.TransitionState.PATCHING, new LoadedPatch("lkp_1", true, true).state());
        assertEquals(LoadedPatch.TransitionState.UNPATCHING, new LoadedPatch("lkp_1", false, true).state());
        assertEquals(LoadedPatch.TransitionState.DISABLED, new LoadedPatch("lkp_1", false, false).state());
        assertThrows(IllegalArgumentException.class, () -> new LoadedPatch("../lkp", true, false));
        assertThrows(IllegalArgumentException.class, () -> new LoadedPatch("lkp-1", true, false));
    }

    @Test
    void preflightListsProblemsExactlyWhenApplyCannotWork() {
        assertTrue(new Preflight(true, true, Preflight.Lockdown.INTEGRITY, true, List.of()).canApply());
        assertFalse(new Preflight(false, false, Preflight.Lockdown.NONE, true, List.of("no livepatch")).canApply());
        assertThrows(IllegalArgumentException.class,
                () -> new Preflight(false, false, Preflight.Lockdown.NONE, true, List.of()));
        assertThrows(IllegalArgumentException.class,
                () -> new Preflight(true, false, Preflight.Lockdown.NONE, true, List.of("spurious")));
    }

    @Test
    void exceptionCopiesBlockingTasks() {
        List<String> tasks = new ArrayList<>(List.of("1234 fio"));
        KernelException e = new KernelException(KernelException.Reason.TRANSITION_STALLED, "stalled", tasks, false, null);
        tasks.clear();
        assertEquals(List.of("1234 fio"), e.blockingTasks());
        assertTrue(new KernelException(KernelException.Reason.BUSY, "busy").blockingTasks().isEmpty());
    }
}
