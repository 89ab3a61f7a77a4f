package io.patchfleet.server.machines.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Proxy;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.Test;

import io.patchfleet.model.KernelId;
import io.patchfleet.model.Machine;
import io.patchfleet.model.MachineId;
import io.patchfleet.model.MachineReport;
import io.patchfleet.model.PatchRelease;
import io.patchfleet.model.PatchState;
import io.patchfleet.model.Sha256;
import io.patchfleet.model.TierName;
import io.patchfleet.rollout.api.Decision;
import io.patchfleet.rollout.policies.internal.HealthGatePolicy;
import io.patchfleet.rollout.policies.internal.WavePolicy;
import io.patchfleet.rollout.policies.internal.WindowPolicy;
import io.patchfleet.rollout.tiers.internal.TierPolicy;

/**
 * Fleet simulation (issue 8, item 6), in process on a simulated clock: 10,000 machines in four
 * tiers check in every 15 minutes for 8 hours through the real engine and the real built-in
 * policies — tiers, waves in three steps (5 %, 25 % after 1 h, 100 % after 2 h), a health gate
 * per tier (at most 3 % apply-failed once 40 machines have an outcome), and a maintenance window for the last tier. Release 2 fails to apply on 8 % of
 * machines, release 1 is healthy. The simulated machines stand in for clients: a machine offered
 * a release reports it applied at its next check-in, or apply-failed when it is one of the 8 %.
 *
 * <p>Checked on every single decision: no machine is offered a release outside its wave (by the
 * release's stable cohort hash) or, in the last tier, outside its window. At the end: the gate
 * halted release 2 in every tier before exposure passed the first wave, release 1 reached every
 * machine that does not run release 2, and no machine was offered release 2 after its halt.
 */
class FleetSimulationTest {
    static final KernelId KERNEL = KernelId.of("6.1.0-56-amd64", "x86_64", "");
    static final Instant START = Instant.parse("2026-11-25T00:00:00Z");
    static final List<TierName> TIERS = List.of(TierName.of("edge"), TierName.of("beta"), TierName.of("candidate"),
            TierName.of("stable"));
    static final String[] STEPS = {"0=5", "1h=25", "2h=100"};

    static PatchRelease release(long v) {
        return new PatchRelease(KERNEL, v, "lkp_" + v, "6.1.0-56-amd64/x86_64/lkp_" + v + ".ko",
                Sha256.digestOf(new byte[] {(byte) v}), 10, List.of(), "", START, v - 1, false);
    }

    /** A typed configuration with some values given and the rest at their defaults, as Configuration Admin would. */
    @SuppressWarnings("unchecked")
    static <T> T config(Class<T> type, Map<String, Object> values) {
        return (T) Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type}, (proxy, method, args) -> {
            if (method.getName().equals("annotationType")) {
                return type;
            }
            Object v = values.get(method.getName());
            return v != null ? v : method.getDefaultValue();
        });
    }

    static final class SimMachine {
        final Machine machine;
        final boolean failsOn2;
        long running;
        long pending; // offered, applied (or failed) by the next check-in
        PatchState state = PatchState.NOTHING_TO_APPLY;

        SimMachine(Machine machine, boolean failsOn2) {
            this.machine = machine;
            this.failsOn2 = failsOn2;
        }
    }

    @Test
    void tenThousandMachinesFourTiersThreeWavesAndAReleaseThatFailsOnEightPercent() {
        long started = System.nanoTime();
        java.lang.management.ThreadMXBean threads = java.lang.management.ManagementFactory.getThreadMXBean();
        long cpuStarted = threads.getCurrentThreadCpuTime();
        Instant[] clock = {START};
        RolloutFakes.MemoryRolloutStore store = new RolloutFakes.MemoryRolloutStore();
        RolloutRegistry registry = new RolloutRegistry(store, new RolloutFakes.MemoryAudit(),
                new io.prometheus.metrics.model.registry.PrometheusRegistry(), new java.time.Clock() {
                    @Override
                    public java.time.ZoneId getZone() {
                        return ZoneOffset.UTC;
                    }

                    @Override
                    public java.time.Clock withZone(java.time.ZoneId zone) {
                        return this;
                    }

                    @Override
                    public Instant instant() {
                        return clock[0];
                    }
                }, false);
        RolloutEngine engine = new RolloutEngine(registry);
        long id = 0;
        engine.addPolicy(new TierPolicy(), Map.of("service.id", ++id, "patchfleet.rollout.policy", "tiers"));
        engine.addPolicy(new WavePolicy(config(WavePolicy.Config.class, Map.of("steps", STEPS))),
                Map.of("service.id", ++id, "order", 20, "name", "waves"));
        engine.addPolicy(new HealthGatePolicy(registry, config(HealthGatePolicy.Config.class, Map.of("min_sample", 40,
                "max_apply_failed_percent", 3.0, "window", "1h"))), Map.of("service.id", ++id, "order", 10, "name", "gate"));
        WindowPolicy.Config windowConfig = config(WindowPolicy.Config.class, Map.of("cron", "0 */3 * * *", "duration", "1h",
                "spread", Boolean.FALSE));
        engine.addPolicy(new WindowPolicy(windowConfig), Map.of("service.id", ++id, "order", 30, "name", "window",
                "tiers", "stable"));

        PatchRelease v1 = release(1);
        PatchRelease v2 = release(2);
        List<PatchRelease> candidates = List.of(v1, v2);
        List<SimMachine> fleet = new ArrayList<>();
        int[] share = {1000, 2000, 3000, 4000};
        int n = 0;
        java.util.Random failing = new java.util.Random(8); // fixed: the same 8 % every run
        for (int t = 0; t < TIERS.size(); t++) {
            for (int i = 0; i < share[t]; i++, n++) {
                MachineId mid = MachineId.of(String.format("%032x", 0xf1ee7000000L + n));
                fleet.add(new SimMachine(new Machine(mid, TIERS.get(t), Set.of(), START), failing.nextInt(100) < 8));
            }
        }

        Map<TierName, Instant> halted = new HashMap<>();
        Map<TierName, Integer> offered2 = new HashMap<>();
        Map<TierName, java.util.Set<MachineId>> offered2Machines = new HashMap<>();
        long decisions = 0;
        Duration step = Duration.ofMinutes(15);
        for (Instant now = START; now.isBefore(START.plus(Duration.ofHours(8))); now = now.plus(step)) {
            clock[0] = now;
            for (SimMachine m : fleet) {
                if (m.pending > 0) { // what happened to the offered patch since the last check-in
                    if (m.pending == 2 && m.failsOn2) {
                        m.state = PatchState.APPLY_FAILED;
                    } else {
                        m.running = m.pending;
                        m.state = PatchState.APPLIED;
                    }
                    m.pending = 0;
                }
                MachineReport report = new MachineReport(m.machine.id(), KERNEL, m.state, m.running, "1.0.0", START,
                        Duration.between(START, now), List.of());
                Decision d = engine.evaluate(m.machine, report, candidates, now);
                decisions++;
                if (d instanceof Decision.Offer offer && offer.release().version() != m.running) {
                    long v = offer.release().version();
                    TierName tier = m.machine.tier();
                    // Never outside the wave: the cohort of this release must be inside the exposure now.
                    double exposure = exposure(now, v, store, tier);
                    assertTrue(cohort(offer.release(), m.machine.id()) < exposure,
                            "machine " + m.machine.id() + " offered " + v + " at " + now + " outside its wave (" + exposure + " %)");
                    // Never outside the window for stable.
                    if (tier.value().equals("stable")) {
                        int hour = now.atZone(ZoneOffset.UTC).getHour();
                        assertEquals(0, hour % 3, "stable offered outside its window at " + now);
                    }
                    if (v == 2) {
                        assertTrue(!halted.containsKey(tier), "release 2 offered in " + tier + " after its halt");
                        if (offered2Machines.computeIfAbsent(tier, k -> new java.util.HashSet<>()).add(m.machine.id())) {
                            offered2.merge(tier, 1, Integer::sum);
                        }
                        if (m.failsOn2 && m.state == PatchState.APPLY_FAILED) {
                            continue; // the client's crash and failure guards would refuse it again: stay
                        }
                    }
                    m.pending = v;
                }
            }
            for (TierName tier : TIERS) {
                registry.find(new RolloutKey(KERNEL, 2, tier)).filter(r -> r.state().equals("halted"))
                        .ifPresent(r -> halted.putIfAbsent(tier, clock[0]));
            }
        }
        long millis = (System.nanoTime() - started) / 1_000_000;
        long cpuMicros = (threads.getCurrentThreadCpuTime() - cpuStarted) / 1000;
        System.out.println("Fleet simulation: " + fleet.size() + " machines, " + decisions + " decisions in " + millis
                + " ms (" + String.format(java.util.Locale.ROOT, "%.1f", cpuMicros / (double) decisions)
                + " µs CPU per decision, the simulated machines included); release 2 halted " + halted + ", offered to " + offered2);

        for (int t = 0; t < TIERS.size(); t++) {
            TierName tier = TIERS.get(t);
            assertTrue(halted.containsKey(tier), "the gate halted release 2 in " + tier);
            assertTrue(halted.get(tier).isBefore(START.plus(Duration.ofHours(1))),
                    "halted in " + tier + " before the second wave (25 % at 1 h): " + halted.get(tier));
            int cap = (int) Math.ceil(share[t] * 0.05 * 1.5); // the 5 % wave, with room for the hash's spread
            assertTrue(offered2.getOrDefault(tier, 0) <= cap, tier + ": release 2 reached " + offered2.get(tier)
                    + " machines, more than its first wave");
        }
        for (SimMachine m : fleet) {
            assertTrue(m.running >= 1, "release 1 reached every machine: " + m.machine.id() + " in " + m.machine.tier()
                    + " runs " + m.running);
        }
    }

    /** The exposure of a release in a tier now, by the same schedule the policy uses (from when the tier first saw it). */
    static double exposure(Instant now, long version, RolloutFakes.MemoryRolloutStore store, TierName tier) {
        var rec = store.rows.get(new RolloutKey(KERNEL, version, tier));
        Instant since = rec == null ? now : rec.availableSince();
        Duration age = Duration.between(since, now);
        if (age.compareTo(Duration.ofHours(2)) >= 0) {
            return 100;
        }
        return age.compareTo(Duration.ofHours(1)) >= 0 ? 25 : 5;
    }

    /** The waves policy's cohort, computed independently: SHA-256 of kernel, version and machine id. */
    static double cohort(PatchRelease r, MachineId machine) {
        try {
            byte[] d = java.security.MessageDigest.getInstance("SHA-256").digest((r.kernel().release() + "\n"
                    + r.kernel().architecture() + "\n" + r.kernel().build() + "\n" + r.version() + "\n" + machine.value())
                    .getBytes(java.nio.charset.StandardCharsets.UTF_8));
            long bits = java.nio.ByteBuffer.wrap(d, 0, 8).getLong() >>> 11;
            return bits / (double) (1L << 53) * 100.0;
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
