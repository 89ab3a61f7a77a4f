package io.patchfleet.rollout.policies.internal;

import static io.patchfleet.rollout.policies.internal.Fixtures.T0;
import static io.patchfleet.rollout.policies.internal.Fixtures.ctx;
import static io.patchfleet.rollout.policies.internal.Fixtures.machine;
import static io.patchfleet.rollout.policies.internal.Fixtures.release;
import static io.patchfleet.rollout.policies.internal.Fixtures.rollout;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;

import org.junit.jupiter.api.Test;

import io.patchfleet.model.PatchRelease;
import io.patchfleet.rollout.api.Decision;
import io.patchfleet.rollout.api.ReleaseRollout;

class WavePolicyTest {
    static final String[] STEPS = {"0=10", "4h=50", "1d=100"};
    static final PatchRelease V1 = release(1);
    static final PatchRelease V2 = release(2);

    static WavePolicy policy(boolean approval, String... steps) {
        WavePolicy.Settings s = WavePolicy.settings("waves", steps, approval);
        assertEquals(null, s.error());
        return new WavePolicy(s);
    }

    /** The machines (of 0..n-1) offered V2 at {@code at}. */
    static Set<Integer> offered(WavePolicy p, ReleaseRollout rollout, Instant at, int n) {
        Set<Integer> out = new HashSet<>();
        for (int i = 0; i < n; i++) {
            Decision d = p.decide(ctx().machine(machine(i)).candidate(V2, rollout).at(at).build());
            if (d instanceof Decision.Offer) {
                out.add(i);
            }
        }
        return out;
    }

    @Test
    void exposureGrowsByStepsAndCohortsAreStableAcrossRestarts() {
        ReleaseRollout r = rollout(2, T0, Optional.empty(), 0);
        Set<Integer> first = offered(policy(false, STEPS), r, T0, 2000);
        assertTrue(first.size() > 150 && first.size() < 250, "about 10 % in the first wave: " + first.size());
        // A "restarted server": a new policy instance from the same configuration picks the same machines.
        assertEquals(first, offered(policy(false, STEPS), r, T0.plusSeconds(60), 2000));
        Set<Integer> second = offered(policy(false, STEPS), r, T0.plus(Duration.ofHours(4)), 2000);
        assertTrue(second.containsAll(first), "waves only grow");
        assertTrue(second.size() > 900 && second.size() < 1100, "about 50 %: " + second.size());
        assertEquals(2000, offered(policy(false, STEPS), r, T0.plus(Duration.ofDays(1)), 2000).size());
    }

    @Test
    void cohortsAreRandomPerReleaseNotEnrollmentOrder() {
        int same = 0;
        int early = 0;
        for (int i = 0; i < 1000; i++) {
            double a = WavePolicy.cohort(V1, Fixtures.id(i));
            double b = WavePolicy.cohort(V2, Fixtures.id(i));
            if ((a < 10) == (b < 10)) {
                same++;
            }
            if (i < 100 && a < 10) {
                early++;
            }
        }
        assertTrue(same < 900, "another release draws another first wave");
        assertTrue(early < 30, "the first enrolled machines are not the first wave: " + early);
    }

    @Test
    void aMachineOutsideTheWaveIsHeldUntilItsStepAndKeepsOrGetsTheOlderRelease() {
        WavePolicy p = policy(false, STEPS);
        int outside = 0;
        while (WavePolicy.cohort(V2, Fixtures.id(outside)) < 50) {
            outside++;
        }
        ReleaseRollout old = rollout(1, T0.minus(Duration.ofDays(3)), Optional.empty(), 0);
        ReleaseRollout fresh = rollout(2, T0, Optional.empty(), 0);
        Decision held = p.decide(ctx().machine(machine(outside)).running(1).candidate(V1, old).candidate(V2, fresh).build());
        Decision.Hold hold = assertInstanceOf(Decision.Hold.class, held);
        assertEquals(T0.plus(Duration.ofDays(1)), hold.notBefore(), "its cohort is above 50 %: the 1d step");
        assertTrue(hold.reason().startsWith("patch 2 reaches this machine's wave from"), hold.reason());

        Decision older = p.decide(ctx().machine(machine(outside)).candidate(V1, old).candidate(V2, fresh).build());
        assertEquals(V1, assertInstanceOf(Decision.Offer.class, older).release(), "a fully rolled out older patch still flows");
        Decision keeps = p.decide(ctx().machine(machine(outside)).running(2).candidate(V1, old).candidate(V2, fresh).build());
        assertEquals(V2, assertInstanceOf(Decision.Offer.class, keeps).release(), "never held back from what it runs");
    }

    @Test
    void approvalGateAndAdvance() {
        WavePolicy p = policy(true, STEPS);
        Decision waiting = p.decide(ctx().candidate(V2, rollout(2, T0, Optional.empty(), 0)).at(T0.plus(Duration.ofDays(9))).build());
        assertTrue(assertInstanceOf(Decision.Hold.class, waiting).reason().contains("awaits approval"));
        assertEquals(Instant.MAX, ((Decision.Hold) waiting).notBefore());

        Instant approved = T0.plus(Duration.ofDays(2));
        ReleaseRollout r = rollout(2, T0, Optional.of(approved), 0);
        assertTrue(offered(p, r, approved.minusSeconds(1), 500).isEmpty(), "nothing before the approval");
        int firstWave = offered(p, r, approved, 500).size();
        assertTrue(firstWave > 25 && firstWave < 80, "the schedule starts at the approval: " + firstWave);
        int advanced = offered(p, rollout(2, T0, Optional.of(approved), 1), approved, 500).size();
        assertTrue(advanced > 200 && advanced < 300, "advance moves to the 50 % step: " + advanced);
        assertEquals(500, offered(p, rollout(2, T0, Optional.of(approved), 5), approved, 500).size(), "capped at the last step");
        assertTrue(p.describe(V2, Fixtures.EDGE, rollout(2, T0, Optional.of(approved), 1), approved).orElseThrow()
                .startsWith("wave 2 of 3: 50 % exposed (advanced 1 by hand); 100 % from"));
    }

    @Test
    void invalidStepsHoldEverythingAndSayWhy() {
        for (String[] bad : new String[][] {{}, {"4h=50", "1h=60"}, {"0=50", "1h=20"}, {"0=120"}, {"soon=10"}, {"10"}}) {
            WavePolicy.Settings s = WavePolicy.settings("w", bad, false);
            assertNotNull(s.error(), String.join(",", bad));
            Decision d = new WavePolicy(s).decide(ctx().candidate(V2).build());
            assertTrue(assertInstanceOf(Decision.Hold.class, d).reason().contains("misconfigured"));
        }
        assertEquals(3, WavePolicy.settings("w", new String[] {"0=5", "30m=25", "1d12h=100"}, false).steps().size());
        assertEquals(WavePolicy.settings("w", new String[] {"0=5", "30m=25", "1d12h=100"}, false),
                WavePolicy.settings("w", new String[] {"0=5, 30m=25,1d12h=100"}, false), "a .cfg file's one string");
    }
}
