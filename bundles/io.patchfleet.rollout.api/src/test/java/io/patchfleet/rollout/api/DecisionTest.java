package io.patchfleet.rollout.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.patchfleet.model.KernelId;
import io.patchfleet.model.Machine;
import io.patchfleet.model.MachineId;
import io.patchfleet.model.PatchRelease;
import io.patchfleet.model.PatchState;
import io.patchfleet.model.Sha256;
import io.patchfleet.model.TierName;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class DecisionTest {
    static final KernelId KERNEL = KernelId.of("5.15.0-91-generic", "x86_64", "");
    static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

    static PatchRelease release(long version) {
        return new PatchRelease(KERNEL, version, "lkp_" + version, "k/lkp-" + version + ".ko",
                Sha256.digestOf(new byte[] {(byte) version}), 100, List.of(), "", T0, 0, false);
    }

    @Test
    void revertBeatsHoldBeatsOffer() {
        Decision offer = Decision.offer(release(2));
        Decision hold = Decision.hold("wave 2 starts later", T0.plusSeconds(60));
        Decision revert = Decision.revert("release halted");
        assertSame(revert, Decision.strictest(offer, hold, revert));
        assertSame(revert, Decision.strictest(revert, hold, offer));
        assertSame(hold, Decision.strictest(offer, hold));
        assertSame(hold, Decision.strictest(hold, offer));
        assertSame(offer, Decision.strictest(offer));
    }

    @Test
    void latestNotBeforeWinsAmongHolds() {
        Decision soon = Decision.hold("soon", T0.plusSeconds(10));
        Decision late = Decision.hold("late", T0.plusSeconds(3600));
        Decision forever = Decision.hold("paused", Instant.MAX);
        assertSame(late, Decision.strictest(soon, late, Decision.offer(release(1))));
        assertSame(late, Decision.strictest(late, soon));
        assertSame(forever, Decision.strictest(soon, forever, late));
        Decision sameTime = Decision.hold("other", T0.plusSeconds(10));
        assertSame(soon, Decision.strictest(soon, sameTime), "first of equal holds wins");
    }

    @Test
    void lowestVersionWinsAmongOffersAndFirstRevertWins() {
        Decision v3 = Decision.offer(release(3));
        Decision v2 = Decision.offer(release(2));
        assertSame(v2, Decision.strictest(v3, v2));
        assertSame(v2, Decision.strictest(v2, v3));
        Decision r1 = Decision.revert("first");
        Decision r2 = Decision.revert("second");
        assertSame(r1, Decision.strictest(v3, r1, r2));
    }

    @Test
    void emptyOrNullInputIsRejected() {
        assertThrows(IllegalArgumentException.class, () -> Decision.strictest(List.of()));
        List<Decision> withNull = new ArrayList<>(Arrays.asList(Decision.revert("x"), null));
        assertThrows(NullPointerException.class, () -> Decision.strictest(withNull));
        assertThrows(IllegalArgumentException.class, () -> Decision.hold(" ", T0));
        assertThrows(IllegalArgumentException.class, () -> Decision.revert("x".repeat(Decision.MAX_REASON + 1)));
        assertThrows(NullPointerException.class, () -> Decision.hold("x", null));
        assertThrows(NullPointerException.class, () -> Decision.offer(null));
    }

    @Test
    void policyErrorIsAHoldUntilNextCheckIn() {
        RolloutContext ctx = context(List.of(release(1)));
        Decision.Hold h = Decision.policyError("waves-1", ctx);
        assertEquals("policy error: waves-1", h.reason());
        assertEquals(T0, h.notBefore());
        assertSame(h, Decision.strictest(Decision.offer(release(1)), h));
    }

    @Test
    void contextSortsCandidatesAndRequiresRollouts() {
        RolloutContext ctx = context(List.of(release(3), release(1)));
        assertEquals(List.of(1L, 3L), ctx.candidates().stream().map(PatchRelease::version).toList());
        assertEquals(3, ctx.newest().orElseThrow().version());
        assertEquals(RolloutState.ACTIVE, ctx.rollout(release(3)).state());
        assertThrows(IllegalArgumentException.class, () -> ctx.rollout(release(2)));
        assertTrue(context(List.of()).newest().isEmpty());
        assertThrows(IllegalArgumentException.class, () -> new RolloutContext(ctx.machine(),
                List.of(release(1)), Map.of(), T0));
        assertThrows(IllegalArgumentException.class, () -> context(List.of(release(1), release(1))));
    }

    @Test
    void fleetHealthRatesAreOverMachinesWithAnOutcome() {
        assertEquals(0.0, FleetHealth.NONE.applyFailedRate());
        FleetHealth h = new FleetHealth(20, 6, 1, 1, 0);
        assertEquals(8, h.sample());
        assertEquals(0.125, h.applyFailedRate());
        assertEquals(0.125, h.crashedRate());
        assertEquals(0.0, h.checkFailedRate());
        assertThrows(IllegalArgumentException.class, () -> new FleetHealth(-1, 0, 0, 0, 0));
    }

    @Test
    void runningAndNewestUpToNeverDowngrade() {
        Machine machine = new Machine(MachineId.of("m1"), TierName.of("edge"), Set.of(), T0);
        List<PatchRelease> all = List.of(release(1), release(2), release(3));
        Map<Long, ReleaseRollout> rollouts = new java.util.HashMap<>();
        all.forEach(r -> rollouts.put(r.version(), ReleaseRollout.fresh(r.version(), T0)));
        RolloutContext runs2 = new RolloutContext(new MachineView(machine, KERNEL, 2, PatchState.APPLIED, List.of()),
                all, rollouts, T0);
        assertEquals(2, runs2.running().orElseThrow().version());
        assertEquals(2, runs2.newestUpTo(1).orElseThrow().version(), "a cap below the running patch keeps it");
        assertEquals(3, runs2.newestUpTo(7).orElseThrow().version());
        RolloutContext none = new RolloutContext(new MachineView(machine, KERNEL, 0, PatchState.UNAPPLIED, List.of()),
                all, rollouts, T0);
        assertTrue(none.running().isEmpty());
        assertTrue(none.newestUpTo(0).isEmpty());
    }

    static RolloutContext context(List<PatchRelease> candidates) {
        Machine machine = new Machine(MachineId.of("m1"), TierName.of("edge"), Set.of("dc=fra1"), T0);
        MachineView view = new MachineView(machine, KERNEL, 0, PatchState.UNAPPLIED, List.of());
        Map<Long, ReleaseRollout> rollouts = new java.util.HashMap<>();
        for (PatchRelease r : candidates) {
            rollouts.put(r.version(), ReleaseRollout.fresh(r.version(), T0));
        }
        return new RolloutContext(view, candidates, rollouts, T0);
    }
}
