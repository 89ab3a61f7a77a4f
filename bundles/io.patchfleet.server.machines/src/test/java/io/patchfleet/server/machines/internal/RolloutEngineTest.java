package io.patchfleet.server.machines.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import org.junit.jupiter.api.Test;

import io.patchfleet.model.KernelId;
import io.patchfleet.model.Machine;
import io.patchfleet.model.MachineId;
import io.patchfleet.model.PatchRelease;
import io.patchfleet.model.PatchState;
import io.patchfleet.model.Sha256;
import io.patchfleet.model.TierName;
import io.patchfleet.rollout.api.Decision;
import io.patchfleet.rollout.api.FleetHealth;
import io.patchfleet.rollout.api.MachineView;
import io.patchfleet.rollout.api.ReleaseRollout;
import io.patchfleet.rollout.api.RolloutContext;
import io.patchfleet.rollout.api.RolloutPolicy;
import io.patchfleet.rollout.api.RolloutState;

class RolloutEngineTest {
    static final KernelId KERNEL = KernelId.of("6.1.0-56-amd64", "x86_64", "");
    static final Instant NOW = Instant.parse("2026-11-25T12:00:00Z");
    static final PatchRelease V1 = new PatchRelease(KERNEL, 1, "lkp_1", "6.1.0-56-amd64/x86_64/lkp_1.ko",
            Sha256.digestOf(new byte[] {1}), 10, List.of(), "", NOW, 0, false);
    static final PatchRelease OTHER = new PatchRelease(KERNEL, 9, "lkp_9", "6.1.0-56-amd64/x86_64/lkp_9.ko",
            Sha256.digestOf(new byte[] {9}), 10, List.of(), "", NOW, 0, false);

    static RolloutContext ctx() {
        Machine m = new Machine(MachineId.of("0123456789abcdef0123456789abcdef"), TierName.of("edge"), Set.of(), NOW);
        return new RolloutContext(new MachineView(m, KERNEL, 0, PatchState.NOTHING_TO_APPLY, List.of()), List.of(V1),
                Map.of(1L, new ReleaseRollout(1, RolloutState.ACTIVE, Optional.empty(), NOW, FleetHealth.NONE)), NOW);
    }

    private static long ids;

    private static void install(RolloutEngine engine, RolloutPolicy policy, String name, int ranking) {
        engine.addPolicy(policy, Map.of("patchfleet.rollout.policy", name, "service.ranking", ranking, "service.id", ++ids));
    }

    @Test
    void withNoPolicyNothingIsOffered() {
        assertInstanceOf(Decision.Hold.class, new RolloutEngine().decide(ctx()));
    }

    @Test
    void theStrictestAnswerWins() {
        RolloutEngine engine = new RolloutEngine();
        install(engine, c -> Decision.offer(V1), "tiers", 1000);
        assertEquals(V1, assertInstanceOf(Decision.Offer.class, engine.decide(ctx())).release());
        install(engine, c -> Decision.hold("maintenance window opens 02:00 UTC", NOW.plusSeconds(3600)), "windows", 0);
        Decision.Hold hold = assertInstanceOf(Decision.Hold.class, engine.decide(ctx()));
        assertEquals("maintenance window opens 02:00 UTC", hold.reason());
    }

    @Test
    void aBrokenPolicyHoldsInsteadOfFailingTheCheckIn() {
        RolloutEngine engine = new RolloutEngine();
        install(engine, c -> Decision.offer(V1), "tiers", 1000);
        RolloutPolicy throwing = c -> {
            throw new IllegalStateException("bug");
        };
        install(engine, throwing, "buggy", 0);
        assertTrue(assertInstanceOf(Decision.Hold.class, engine.decide(ctx())).reason().contains("policy error: buggy"));
        engine.removePolicy(throwing);
        assertInstanceOf(Decision.Offer.class, engine.decide(ctx()), "removed by identity");

        install(engine, c -> null, "null", 0);
        assertInstanceOf(Decision.Hold.class, engine.decide(ctx()));
    }

    @Test
    void offeringSomethingThatIsNotACandidateIsAPolicyError() {
        RolloutEngine engine = new RolloutEngine();
        install(engine, c -> Decision.offer(OTHER), "rogue", 0);
        assertTrue(assertInstanceOf(Decision.Hold.class, engine.decide(ctx())).reason().contains("policy error: rogue"));
    }
}
