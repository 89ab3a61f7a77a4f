package io.patchfleet.rollout.policies.internal;

import static io.patchfleet.rollout.policies.internal.Fixtures.T0;
import static io.patchfleet.rollout.policies.internal.Fixtures.ctx;
import static io.patchfleet.rollout.policies.internal.Fixtures.release;
import static io.patchfleet.rollout.policies.internal.Fixtures.rollout;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.Test;

import io.patchfleet.model.KernelId;
import io.patchfleet.model.PatchRelease;
import io.patchfleet.model.TierName;
import io.patchfleet.rollout.api.Decision;
import io.patchfleet.rollout.api.RolloutControl;

class HealthGatePolicyTest {
    static final PatchRelease V1 = release(1);
    static final PatchRelease V2 = release(2);

    record Halt(long version, String tier, String actor, String cause, boolean revert) {}

    final List<Halt> halts = new CopyOnWriteArrayList<>();
    final RolloutControl control = new RolloutControl() {
        @Override
        public void halt(KernelId kernel, long version, TierName tier, String actor, String cause, boolean revert) {
            halts.add(new Halt(version, tier.value(), actor, cause, revert));
        }
    };

    HealthGatePolicy gate(int minSample, boolean revert) {
        HealthGatePolicy.Settings s = HealthGatePolicy.settings("canary-gate", "1h", minSample, 5, 1, 10, revert);
        assertEquals(null, s.error());
        return new HealthGatePolicy(control, s);
    }

    @Test
    void belowTheMinimumSampleNothingHaltsThenTheBreachHaltsAndHolds() {
        Fixtures.Outcomes outcomes = new Fixtures.Outcomes().add(9, "applied", T0).add(10, "apply-failed", T0);
        HealthGatePolicy gate = gate(20, false);
        Decision d = gate.decide(ctx().candidate(V1).candidate(V2, rollout(2, outcomes)).build());
        assertEquals(V2, assertInstanceOf(Decision.Offer.class, d).release(), "19 outcomes < 20: no verdict yet");
        assertTrue(halts.isEmpty());
        assertTrue(gate.describe(V2, Fixtures.EDGE, rollout(2, outcomes), T0).orElseThrow().startsWith("collecting: 19 of 20"));

        outcomes.add(1, "apply-failed", T0);
        Instant later = T0.plusSeconds(2); // past the one-second verdict cache
        Decision after = gate.decide(ctx().candidate(V1).candidate(V2, rollout(2, outcomes)).at(later).build());
        assertEquals(V1, assertInstanceOf(Decision.Offer.class, after).release(), "held back to the healthy previous patch");
        assertEquals(1, halts.size());
        Halt h = halts.get(0);
        assertEquals(2, h.version());
        assertEquals("edge", h.tier());
        assertEquals("healthgate:canary-gate", h.actor());
        assertEquals("health gate: 11 of 20 machines failed to apply it in the last 1h (55.0 %, limit 5 %)", h.cause());

        Decision running = gate.decide(ctx().running(2).candidate(V1).candidate(V2, rollout(2, outcomes)).at(later).build());
        assertInstanceOf(Decision.Hold.class, running, "without revert a machine running it keeps it");
    }

    @Test
    void outcomesOutsideTheWindowDoNotCount() {
        Fixtures.Outcomes outcomes = new Fixtures.Outcomes().add(20, "crashed", T0).add(20, "applied", T0.plus(Duration.ofHours(2)));
        HealthGatePolicy gate = gate(10, false);
        Instant now = T0.plus(Duration.ofMinutes(150));
        assertInstanceOf(Decision.Offer.class, gate.decide(ctx().candidate(V2, rollout(2, outcomes)).at(now).build()));
        assertTrue(halts.isEmpty(), "the crashes are 2.5 h old, the window 1 h");
        Instant earlier = T0.plus(Duration.ofMinutes(30));
        Fixtures.Outcomes thenKnown = new Fixtures.Outcomes().add(20, "crashed", T0);
        gate.decide(ctx().candidate(V2, rollout(2, thenKnown)).at(earlier).build());
        assertEquals(1, halts.size());
        assertTrue(halts.get(0).cause().contains("20 of 20 machines crashed"), halts.get(0).cause());
    }

    @Test
    void withRevertMachinesRunningTheBreachedReleaseRevert() {
        Fixtures.Outcomes outcomes = new Fixtures.Outcomes().add(18, "applied", T0).add(2, "crashed", T0);
        HealthGatePolicy gate = gate(20, true);
        Decision d = gate.decide(ctx().running(2).candidate(V2, rollout(2, outcomes)).build());
        assertTrue(assertInstanceOf(Decision.Revert.class, d).reason().contains("2 of 20 machines crashed"));
        assertTrue(halts.get(0).revert());
    }

    @Test
    void checkFailedRateAndInvalidSettings() {
        Fixtures.Outcomes outcomes = new Fixtures.Outcomes().add(17, "applied", T0).add(3, "check-failed", T0);
        gate(20, false).decide(ctx().candidate(V2, rollout(2, outcomes)).build());
        assertTrue(halts.get(0).cause().contains("3 of 20 machines failed their check"), halts.get(0).cause());

        assertNotNull(HealthGatePolicy.settings("g", "0s", 20, 5, 1, 10, false).error());
        assertNotNull(HealthGatePolicy.settings("g", "3d", 20, 5, 1, 10, false).error(), "beyond the 48 h horizon");
        assertNotNull(HealthGatePolicy.settings("g", "1h", 0, 5, 1, 10, false).error());
        assertNotNull(HealthGatePolicy.settings("g", "1h", 20, 101, 1, 10, false).error());
        HealthGatePolicy broken = new HealthGatePolicy(control, HealthGatePolicy.settings("g", "an hour", 20, 5, 1, 10, false));
        assertTrue(assertInstanceOf(Decision.Hold.class, broken.decide(ctx().candidate(V2).build())).reason()
                .contains("misconfigured"));
    }
}
