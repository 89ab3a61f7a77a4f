package io.patchfleet.server.machines.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.Test;

import io.patchfleet.model.KernelId;
import io.patchfleet.model.Machine;
import io.patchfleet.model.MachineEvent;
import io.patchfleet.model.MachineId;
import io.patchfleet.model.MachineReport;
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

class RolloutEngineTest {
    static final KernelId KERNEL = KernelId.of("6.1.0-56-amd64", "x86_64", "");
    static final Instant NOW = Instant.parse("2026-11-25T12:00:00Z");
    static final TierName EDGE = TierName.of("edge");
    static final PatchRelease V1 = release(1);
    static final PatchRelease V2 = release(2);
    static final PatchRelease OTHER = release(9);

    static PatchRelease release(long v) {
        return new PatchRelease(KERNEL, v, "lkp_" + v, "6.1.0-56-amd64/x86_64/lkp_" + v + ".ko",
                Sha256.digestOf(new byte[] {(byte) v}), 10, List.of(), "", NOW, v - 1, false);
    }

    static final Machine MACHINE = new Machine(MachineId.of("0123456789abcdef0123456789abcdef"), EDGE, Set.of(), NOW);

    static RolloutContext ctx(TierName tier) {
        Machine m = new Machine(MACHINE.id(), tier, Set.of(), NOW);
        return new RolloutContext(new MachineView(m, KERNEL, 0, PatchState.NOTHING_TO_APPLY, List.of()), List.of(V1),
                Map.of(1L, ReleaseRollout.fresh(1, NOW)), NOW);
    }

    static RolloutContext ctx() {
        return ctx(EDGE);
    }

    static MachineReport report(PatchState state, long version, MachineEvent... events) {
        return new MachineReport(MACHINE.id(), KERNEL, state, version, "1.0.0", NOW.minusSeconds(600), Duration.ofMinutes(10),
                List.of(events));
    }

    private long ids;
    private final RolloutFakes.MemoryRolloutStore store = new RolloutFakes.MemoryRolloutStore();
    private final RolloutFakes.MemoryAudit audit = new RolloutFakes.MemoryAudit();
    private final RolloutEngine engine = new RolloutEngine(RolloutFakes.registry(store, audit, NOW));

    private void install(RolloutPolicy policy, String name, int ranking, Object... more) {
        Map<String, Object> props = new HashMap<>(Map.of("patchfleet.rollout.policy", name, "service.ranking", ranking,
                "service.id", ++ids));
        for (int i = 0; i < more.length; i += 2) {
            props.put((String) more[i], more[i + 1]);
        }
        engine.addPolicy(policy, props);
    }

    @Test
    void withNoPolicyNothingIsOffered() {
        assertInstanceOf(Decision.Hold.class, engine.decide(ctx()));
    }

    @Test
    void theStrictestAnswerWins() {
        install(c -> Decision.offer(V1), "tiers", 1000);
        assertEquals(V1, assertInstanceOf(Decision.Offer.class, engine.decide(ctx())).release());
        install(c -> Decision.hold("maintenance window opens 02:00 UTC", NOW.plusSeconds(3600)), "windows", 0);
        Decision.Hold hold = assertInstanceOf(Decision.Hold.class, engine.decide(ctx()));
        assertEquals("maintenance window opens 02:00 UTC", hold.reason());
    }

    @Test
    void aBrokenPolicyHoldsInsteadOfFailingTheCheckIn() {
        install(c -> Decision.offer(V1), "tiers", 1000);
        RolloutPolicy throwing = c -> {
            throw new IllegalStateException("bug");
        };
        install(throwing, "buggy", 0);
        assertTrue(assertInstanceOf(Decision.Hold.class, engine.decide(ctx())).reason().contains("policy error: buggy"));
        engine.removePolicy(throwing);
        assertInstanceOf(Decision.Offer.class, engine.decide(ctx()), "removed by identity");

        install(c -> null, "null", 0);
        assertInstanceOf(Decision.Hold.class, engine.decide(ctx()));
    }

    @Test
    void offeringSomethingThatIsNotACandidateIsAPolicyError() {
        install(c -> Decision.offer(OTHER), "rogue", 0);
        assertTrue(assertInstanceOf(Decision.Hold.class, engine.decide(ctx())).reason().contains("policy error: rogue"));
    }

    @Test
    void policiesApplyOnlyToTheirTiersAndReorderingChangesWhichReasonLeads() {
        install(c -> Decision.offer(V1), "tiers", 1000);
        RolloutPolicy a = c -> Decision.hold("a", NOW);
        RolloutPolicy b = c -> Decision.hold("b", NOW);
        install(a, "a", 0, "order", 1, "tiers", new String[] {"edge"});
        install(b, "b", 0, "order", 2, "tiers", "edge, beta");
        assertEquals("a", ((Decision.Hold) engine.decide(ctx())).reason(), "equal holds: the first in order leads");
        assertEquals("b", ((Decision.Hold) engine.decide(ctx(TierName.of("beta")))).reason(), "a is not for beta");
        assertInstanceOf(Decision.Offer.class, engine.decide(ctx(TierName.of("stable"))));

        engine.updatedPolicy(a, Map.of("patchfleet.rollout.policy", "a", "service.id", 2L, "order", 3, "tiers", "edge"));
        assertEquals("b", ((Decision.Hold) engine.decide(ctx())).reason(), "reordered atomically");
        assertEquals(List.of("tiers", "b[edge, beta]", "a[edge]").size(), engine.names().size());
    }

    @Test
    void whenPoliciesOfferDifferentReleasesTheNewestAllAllowIsFound() {
        RolloutPolicy newest = c -> Decision.offer(c.newest().orElseThrow());
        // Like waves: this machine is in release 2's wave but not in release 1's.
        RolloutPolicy waves = c -> c.candidates().stream().anyMatch(r -> r.version() == 2) ? Decision.offer(V2)
                : Decision.hold("not in release 1's wave", NOW.plusSeconds(60));
        RolloutPolicy delay = c -> Decision.offer(V1); // release 2 is too new
        install(newest, "tiers", 1000);
        install(waves, "waves", 0);
        RolloutContext both = new RolloutContext(new MachineView(MACHINE, KERNEL, 0, PatchState.UNAPPLIED, List.of()),
                List.of(V1, V2), Map.of(1L, ReleaseRollout.fresh(1, NOW), 2L, ReleaseRollout.fresh(2, NOW)), NOW);
        assertEquals(V2, ((Decision.Offer) engine.decide(both)).release());
        install(delay, "delay", 0);
        Decision d = engine.decide(both);
        assertEquals("not in release 1's wave", assertInstanceOf(Decision.Hold.class, d).reason(),
                "release 1 is not offered to a machine outside its wave just because release 2 is delayed");
    }

    @Test
    void aPausedReleaseIsOfferedToNobodyNewButMachinesRunningItKeepIt() throws Exception {
        install(c -> c.newest().<Decision>map(Decision::offer).orElse(Decision.hold("none", c.now())), "tiers", 1000);
        RolloutKey k2 = new RolloutKey(KERNEL, 2, EDGE);
        engine.registry().change(k2, r -> r.withState("paused", "paused by alice", false, NOW));

        Decision fresh = engine.evaluate(MACHINE, report(PatchState.UNAPPLIED, 0), List.of(V1, V2), NOW);
        assertEquals(V1, assertInstanceOf(Decision.Offer.class, fresh).release(), "the previous release still flows");
        Decision onV1 = engine.evaluate(MACHINE, report(PatchState.APPLIED, 1), List.of(V1, V2), NOW);
        assertEquals(V1, assertInstanceOf(Decision.Offer.class, onV1).release(), "no move to the paused release");
        Decision onV2 = engine.evaluate(MACHINE, report(PatchState.APPLIED, 2), List.of(V1, V2), NOW);
        assertEquals(V2, assertInstanceOf(Decision.Offer.class, onV2).release(), "no downgrade from the paused release");

        Decision only = engine.evaluate(MACHINE, report(PatchState.UNAPPLIED, 0), List.of(V2), NOW);
        assertTrue(assertInstanceOf(Decision.Hold.class, only).reason().contains("paused by alice"), only.toString());
        assertTrue(engine.held().get(MACHINE.id()).reason().contains("paused"), "the held reason is kept for status");
    }

    @Test
    void aHaltKeepsOrRevertsMachinesRunningTheReleaseAsTheHaltSays() throws Exception {
        install(c -> c.newest().<Decision>map(Decision::offer).orElseGet(() -> c.machine().currentPatchVersion() > 0
                ? Decision.revert("gone") : Decision.hold("none", c.now())), "tiers", 1000);
        RolloutKey k2 = new RolloutKey(KERNEL, 2, EDGE);
        engine.registry().halt(KERNEL, 2, EDGE, "healthgate:test", "health gate: too many failures", false);
        assertEquals("halted", store.rows.get(k2).state(), "stored");
        assertEquals("rollout.halt", audit.entries.get(0).action(), "audited");

        Decision keep = engine.evaluate(MACHINE, report(PatchState.APPLIED, 2), List.of(V1, V2), NOW);
        assertTrue(assertInstanceOf(Decision.Hold.class, keep).reason().contains("keeping patch 2"), keep.toString());
        Decision fresh = engine.evaluate(MACHINE, report(PatchState.UNAPPLIED, 0), List.of(V1, V2), NOW);
        assertEquals(V1, assertInstanceOf(Decision.Offer.class, fresh).release());

        engine.registry().change(k2, r -> r.withState("halted", "aborted by bob", true, NOW));
        Decision back = engine.evaluate(MACHINE, report(PatchState.APPLIED, 2), List.of(V1, V2), NOW);
        assertEquals(V1, assertInstanceOf(Decision.Offer.class, back).release(), "revert: back to the previous patch");
        Decision none = engine.evaluate(MACHINE, report(PatchState.APPLIED, 2), List.of(V2), NOW);
        assertInstanceOf(Decision.Revert.class, none, "revert with no previous patch unloads it");
    }

    @Test
    void healthIsAttributedToTheOfferedRelease() {
        install(c -> c.newest().<Decision>map(Decision::offer).orElse(Decision.hold("none", c.now())), "tiers", 1000);
        RolloutKey k1 = new RolloutKey(KERNEL, 1, EDGE);
        engine.evaluate(MACHINE, report(PatchState.UNAPPLIED, 0), List.of(V1), NOW);
        engine.evaluate(MACHINE, report(PatchState.APPLY_FAILED, 0), List.of(V1), NOW);
        FleetHealth h = engine.registry().health().history(k1).since(NOW.minusSeconds(60));
        assertEquals(new FleetHealth(1, 0, 1, 0, 0), h);
        engine.evaluate(MACHINE, report(PatchState.APPLY_FAILED, 0,
                new MachineEvent(MachineEvent.Kind.ERROR, NOW, 1, "crash guard: a reboot or kernel crash")), List.of(V1), NOW);
        assertEquals(new FleetHealth(1, 0, 0, 1, 0), engine.registry().health().history(k1).since(NOW.minusSeconds(60)),
                "a machine counts once, with its latest outcome");
        engine.evaluate(MACHINE, report(PatchState.APPLIED, 1), List.of(V1), NOW);
        assertEquals(new FleetHealth(1, 1, 0, 0, 0), engine.registry().health().history(k1).since(NOW.minusSeconds(60)));
        assertEquals(FleetHealth.NONE.applied(), engine.registry().health().history(k1).since(NOW.plusSeconds(120)).applied(),
                "outside the window");
        assertTrue(store.rows.get(k1).startedAt().isPresent(), "the first offer is stored");
    }

    @Test
    void aMachineReportingItsBuildCountsForAReleasePublishedWithoutOne() {
        install(c -> c.newest().<Decision>map(Decision::offer).orElse(Decision.hold("none", c.now())), "tiers", 1000);
        KernelId built = KernelId.of(KERNEL.release(), KERNEL.architecture(), "#1 SMP PREEMPT_DYNAMIC Debian 6.1.55-1");
        MachineReport offer = new MachineReport(MACHINE.id(), built, PatchState.UNAPPLIED, 0, "1.0.0", NOW, Duration.ZERO, List.of());
        engine.evaluate(MACHINE, offer, List.of(V1), NOW);
        MachineReport failed = new MachineReport(MACHINE.id(), built, PatchState.APPLY_FAILED, 0, "1.0.0", NOW, Duration.ZERO, List.of());
        engine.evaluate(MACHINE, failed, List.of(V1), NOW);
        assertEquals(1, engine.registry().health().history(new RolloutKey(KERNEL, 1, EDGE)).since(NOW).applyFailed());
        MachineReport applied = new MachineReport(MACHINE.id(), built, PatchState.APPLIED, 1, "1.0.0", NOW, Duration.ZERO, List.of());
        engine.evaluate(MACHINE, applied, List.of(V1), NOW);
        assertEquals(new FleetHealth(1, 1, 0, 0, 0), engine.registry().health().history(new RolloutKey(KERNEL, 1, EDGE)).since(NOW));
    }
}
