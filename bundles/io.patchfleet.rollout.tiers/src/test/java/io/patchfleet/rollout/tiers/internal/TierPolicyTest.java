package io.patchfleet.rollout.tiers.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
import io.patchfleet.rollout.api.MachineView;
import io.patchfleet.rollout.api.ReleaseRollout;
import io.patchfleet.rollout.api.RolloutContext;

class TierPolicyTest {
    static final KernelId KERNEL = KernelId.of("6.1.0-56-amd64", "x86_64", "");
    static final Instant NOW = Instant.parse("2026-11-25T12:00:00Z");

    static PatchRelease release(long version) {
        String module = "lkp_" + version;
        return new PatchRelease(KERNEL, version, module, "6.1.0-56-amd64/x86_64/" + module + ".ko",
                Sha256.digestOf(new byte[] {(byte) version}), 10, List.of(), "", NOW, version - 1, false);
    }

    static RolloutContext context(long running, PatchRelease... candidates) {
        Machine machine = new Machine(MachineId.of("0123456789abcdef0123456789abcdef"), TierName.of("beta"), Set.of(), NOW);
        Map<Long, ReleaseRollout> rollouts = new LinkedHashMap<>();
        for (PatchRelease r : candidates) {
            rollouts.put(r.version(), ReleaseRollout.fresh(r.version(), NOW));
        }
        return new RolloutContext(new MachineView(machine, KERNEL, running, PatchState.APPLIED, List.of()),
                List.of(candidates), rollouts, NOW);
    }

    private final TierPolicy policy = new TierPolicy();

    @Test
    void offersTheNewestCandidate() {
        Decision d = policy.decide(context(1, release(1), release(3), release(2)));
        assertEquals(3, assertInstanceOf(Decision.Offer.class, d).release().version());
    }

    @Test
    void fallsBackToAnOlderCumulativePatchWhenTheRunningOneWasRevoked() {
        // The machine runs 3, which was revoked, so only 1 and 2 remain candidates.
        Decision d = policy.decide(context(3, release(1), release(2)));
        assertEquals(2, assertInstanceOf(Decision.Offer.class, d).release().version());
    }

    @Test
    void revertsWhenNothingRemainsAndHoldsWhenThereWasNothing() {
        assertInstanceOf(Decision.Revert.class, policy.decide(context(3)));
        Decision.Hold hold = assertInstanceOf(Decision.Hold.class, policy.decide(context(0)));
        assertEquals("no patch for this kernel is promoted to tier beta", hold.reason());
    }
}
