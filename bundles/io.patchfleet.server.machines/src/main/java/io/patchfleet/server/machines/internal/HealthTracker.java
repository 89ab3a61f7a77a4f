package io.patchfleet.server.machines.internal;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;

import io.patchfleet.model.MachineEvent;
import io.patchfleet.model.MachineId;
import io.patchfleet.model.MachineReport;
import io.patchfleet.model.PatchState;
import io.patchfleet.rollout.api.FleetHealth;
import io.patchfleet.rollout.api.HealthHistory;

/**
 * Fleet health per rollout, fed by check-ins, in memory: for each release in each tier, the
 * latest outcome of every machine it was offered to, counted in one-minute buckets so a sliding
 * window is a sum over at most window/1 min buckets (no storage access on the check-in path).
 *
 * <p>Attribution: the engine remembers which release it last offered each machine. A report
 * then counts for that release as {@code applied} (state applied with that version),
 * {@code crashed} (applied-with-bug with that version, or an error event "crash guard: …" of the
 * client's crash guard for that version), {@code apply-failed} or {@code check-failed} (those
 * states after the offer). A machine counts once per release, with its latest outcome; its
 * earlier bucket is decremented when the outcome changes. After a server restart the offers are
 * forgotten; a machine that reports a version applied is attributed to it again, failures of
 * offers made before the restart are not (documented in the README).
 */
final class HealthTracker {
    enum Outcome {
        APPLIED, APPLY_FAILED, CRASHED, CHECK_FAILED
    }

    private record Seen(Outcome outcome, long minute) {}

    /** One rollout's outcomes. */
    static final class Rollout implements HealthHistory {
        final LongAdder offered = new LongAdder();
        final Map<MachineId, Seen> latest = new ConcurrentHashMap<>();
        final ConcurrentSkipListMap<Long, AtomicLongArray> buckets = new ConcurrentSkipListMap<>();
        final Map<MachineId, Boolean> offeredTo = new ConcurrentHashMap<>();

        void offer(MachineId machine) {
            if (offeredTo.putIfAbsent(machine, Boolean.TRUE) == null) {
                offered.increment();
            }
        }

        void record(MachineId machine, Outcome outcome, Instant at) {
            Seen known = latest.get(machine);
            if (known != null && known.outcome() == outcome) {
                return; // the steady state: the same outcome again (a read, no lock, no allocation)
            }
            long minute = at.getEpochSecond() / 60;
            Seen next = new Seen(outcome, minute);
            Seen[] before = new Seen[1];
            latest.compute(machine, (k, old) -> {
                before[0] = old;
                return old != null && old.outcome() == outcome ? old : next;
            });
            Seen old = before[0];
            if (old != null && old.outcome() == outcome) {
                return;
            }
            if (old != null) {
                AtomicLongArray b = buckets.get(old.minute());
                if (b != null) {
                    b.decrementAndGet(old.outcome().ordinal());
                }
            }
            buckets.computeIfAbsent(minute, m -> new AtomicLongArray(Outcome.values().length))
                    .incrementAndGet(outcome.ordinal());
        }

        @Override
        public FleetHealth since(Instant from) {
            long[] sum = new long[Outcome.values().length];
            for (AtomicLongArray b : buckets.tailMap(from.getEpochSecond() / 60, true).values()) {
                for (int i = 0; i < sum.length; i++) {
                    sum[i] += b.get(i);
                }
            }
            return new FleetHealth(offered.sum(), Math.max(0, sum[0]), Math.max(0, sum[1]), Math.max(0, sum[2]),
                    Math.max(0, sum[3]));
        }

        void prune(Instant before) {
            buckets.headMap(before.getEpochSecond() / 60).clear();
        }
    }

    private final Map<RolloutKey, Rollout> rollouts = new ConcurrentHashMap<>();
    /** The release each machine was last offered: what its next reports are about. */
    private final Map<MachineId, RolloutKey> lastOffer = new ConcurrentHashMap<>();

    Rollout of(RolloutKey key) {
        return rollouts.computeIfAbsent(key, k -> new Rollout());
    }

    HealthHistory history(RolloutKey key) {
        Rollout r = rollouts.get(key);
        return r == null ? HealthHistory.NONE : r;
    }

    void offered(MachineId machine, RolloutKey key) {
        of(key).offer(machine);
        lastOffer.put(machine, key);
    }

    /**
     * Attributes one check-in's report.
     *
     * @param keyOf the rollout key of a patch version for this machine's kernel and tier (the
     *     release's kernel, which may name no build where the machine reports one)
     */
    void observe(MachineReport report, java.util.function.LongFunction<RolloutKey> keyOf, Instant now) {
        MachineId machine = report.machineId();
        RolloutKey running = keyOf.apply(report.patchVersion());
        RolloutKey offered = lastOffer.get(machine);
        if (offered != null && !report.kernel().matches(offered.kernel())) {
            lastOffer.remove(machine, offered); // the machine booted another kernel
            offered = null;
        }
        PatchState state = report.patchState();
        for (MachineEvent e : report.events()) {
            if (e.kind() == MachineEvent.Kind.ERROR && e.detail().startsWith("crash guard") && e.patchVersion() > 0) {
                of(keyOf.apply(e.patchVersion())).record(machine, Outcome.CRASHED, now);
                return;
            }
        }
        switch (state) {
            case APPLIED -> {
                if (report.patchVersion() > 0) {
                    of(running).record(machine, Outcome.APPLIED, now);
                }
            }
            case APPLIED_WITH_BUG -> {
                if (report.patchVersion() > 0) {
                    of(running).record(machine, Outcome.CRASHED, now);
                }
            }
            case APPLY_FAILED -> {
                if (offered != null && offered.version() != report.patchVersion()) {
                    of(offered).record(machine, Outcome.APPLY_FAILED, now);
                }
            }
            case CHECK_FAILED -> {
                if (offered != null && offered.version() != report.patchVersion()) {
                    of(offered).record(machine, Outcome.CHECK_FAILED, now);
                }
            }
            default -> {
                // unapplied, needs-check, nothing-to-apply, unknown: no outcome yet
            }
        }
    }

    /** Forgets the outcomes of a rollout (an admin resumed it: counting starts afresh). */
    void reset(RolloutKey key) {
        rollouts.remove(key);
    }

    /** Drops buckets older than the horizon. */
    void prune(Instant now) {
        Instant before = now.minus(Duration.ofHours(HealthHistory.HORIZON_HOURS));
        rollouts.values().forEach(r -> r.prune(before));
    }
}
