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
import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.Test;

import io.patchfleet.model.PatchRelease;
import io.patchfleet.rollout.api.Decision;
import io.patchfleet.rollout.api.RolloutContext;
import io.patchfleet.rollout.api.RolloutPolicy;

class DelayAndPinPolicyTest {
    static final PatchRelease V1 = release(1, T0.minus(Duration.ofDays(10)));
    static final PatchRelease V2 = release(2, T0.minus(Duration.ofDays(3)));
    static final PatchRelease V3 = release(3, T0.minus(Duration.ofHours(2)));

    static Fixtures.Ctx all() {
        return ctx().candidate(V1).candidate(V2).candidate(V3);
    }

    @Test
    void delayOffersTheNewestOldEnoughRelease() {
        DelayPolicy p = new DelayPolicy(DelayPolicy.settings("", "24h", "published", ""));
        assertEquals(V2, assertInstanceOf(Decision.Offer.class, p.decide(all().build())).release());
        Decision.Hold onV2 = assertInstanceOf(Decision.Hold.class, p.decide(all().running(2).build()));
        assertEquals(V3.publishedAt().plus(Duration.ofHours(24)), onV2.notBefore());
        assertTrue(onV2.reason().startsWith("patch 3 is delayed 1d until"), onV2.reason());
        assertEquals(V3, ((Decision.Offer) p.decide(all().running(2).at(V3.publishedAt().plus(Duration.ofHours(24))).build())).release());
    }

    @Test
    void delayFromAvailabilityInTheTier() {
        DelayPolicy p = new DelayPolicy(DelayPolicy.settings("soak", "2d", "available", ""));
        Decision d = p.decide(ctx().candidate(V1, rollout(1, T0.minus(Duration.ofDays(1)), Optional.empty(), 0)).build());
        assertEquals(T0.plus(Duration.ofDays(1)), assertInstanceOf(Decision.Hold.class, d).notBefore(),
                "published 10 days ago, but in this tier only since yesterday");
    }

    @Test
    void cutoffFreezesTheFleet() {
        DelayPolicy p = new DelayPolicy(DelayPolicy.settings("", "0s", "published", T0.minus(Duration.ofDays(5)).toString().substring(0, 10)));
        assertEquals(V1, ((Decision.Offer) p.decide(all().build())).release());
        Decision.Hold h = assertInstanceOf(Decision.Hold.class, p.decide(all().running(1).build()));
        assertEquals(Instant.MAX, h.notBefore());
        assertTrue(h.reason().contains("published after the cutoff"), h.reason());
        assertNotNull(DelayPolicy.settings("", "24", "published", "").error(), "a number without unit is refused");
        assertNotNull(DelayPolicy.settings("", "1h", "yesterday", "").error());
        assertNotNull(DelayPolicy.settings("", "1h", "published", "next week").error());
    }

    /** Strictest-wins, as the engine combines answers. */
    static Decision chain(RolloutContext ctx, RolloutPolicy... policies) {
        return Decision.strictest(java.util.Arrays.stream(policies).map(p -> p.decide(ctx)).toList());
    }

    @Test
    void pinPrecedence() {
        RolloutPolicy tiers = c -> Decision.offer(c.newest().orElseThrow());
        PinPolicy tierPin = new PinPolicy(PinPolicy.settings("tier-pin", 2, new String[0]));
        PinPolicy dbPin = new PinPolicy(PinPolicy.settings("db-pin", 1, new String[] {"role:db"}));

        assertEquals(V2, ((Decision.Offer) chain(all().build(), tiers, tierPin)).release(), "the pin beats a newer offer");
        assertEquals(V2, ((Decision.Offer) chain(all().running(3).build(), tiers, tierPin)).release(),
                "a machine on a newer patch is moved back to the pin");
        assertEquals(V1, ((Decision.Offer) chain(all().machine(machine(1, "role:db")).build(), tiers, tierPin, dbPin)).release(),
                "of two pins the lower version wins");
        assertEquals(V2, ((Decision.Offer) chain(all().machine(machine(1, "role:web")).build(), tiers, tierPin, dbPin)).release(),
                "a tag pin only for machines with the tag");
        RolloutPolicy window = c -> Decision.hold("maintenance window opens 02:00 UTC", T0.plusSeconds(3600));
        assertInstanceOf(Decision.Hold.class, chain(all().build(), tiers, tierPin, window), "a hold still beats the pin");

        PinPolicy missing = new PinPolicy(PinPolicy.settings("", 7, new String[0]));
        Decision.Hold h = assertInstanceOf(Decision.Hold.class, missing.decide(all().build()));
        assertTrue(h.reason().startsWith("pinned to patch 7 (pin), which is not available to tier edge"), h.reason());
        assertNotNull(PinPolicy.settings("", 0, new String[0]).error());
        assertNotNull(PinPolicy.settings("", 1, new String[] {"Not A Tag"}).error());
        assertEquals(List.of(), List.of());
    }
}
