package io.patchfleet.server.machines.internal;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.patchfleet.model.KernelId;
import io.patchfleet.model.TierName;
import io.patchfleet.rollout.api.ReleaseRollout;
import io.patchfleet.rollout.api.RolloutControl;
import io.patchfleet.rollout.api.RolloutState;
import io.patchfleet.store.api.AuditLog;
import io.patchfleet.store.api.RolloutRecord;
import io.patchfleet.store.api.RolloutStore;
import io.patchfleet.store.api.StoreException;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

/**
 * Rollout state of every release in every tier, in memory for the check-in path and stored in
 * {@link RolloutStore} for restarts and other server nodes. Reads never touch storage. Admin
 * changes are written through (the admin request waits for the store); what the check-in path
 * creates (a new rollout row, the first offer time) and what gates decide (halts) take effect in
 * memory at once and are stored on this component's own thread. Every
 * {@value #REFRESH_SECONDS} s the stored rows are read back, so changes made on another node
 * arrive; of two versions of a row the more recently updated wins.
 *
 * <p>Also the fleet health of each rollout ({@link HealthTracker}) and the metrics
 * {@code patchfleet_rollouts{state}} and {@code patchfleet_rollout_halts_total{by}}.
 */
@Component(service = {RolloutRegistry.class, RolloutControl.class})
public class RolloutRegistry implements RolloutControl {
    private static final Logger LOG = LoggerFactory.getLogger(RolloutRegistry.class);
    static final long REFRESH_SECONDS = 10;

    private final RolloutStore store;
    private final AuditLog audit;
    private final Clock clock;
    private final Map<RolloutKey, RolloutRecord> records = new ConcurrentHashMap<>();
    private final HealthTracker health = new HealthTracker();
    private final ScheduledExecutorService worker;
    private final PrometheusRegistry metricsRegistry;
    private final Gauge byState;
    private final Counter halts;

    @Activate
    public RolloutRegistry(@Reference RolloutStore store, @Reference AuditLog audit,
            @Reference PrometheusRegistry metrics) {
        this(store, audit, metrics, Clock.systemUTC(), true);
    }

    /** For tests: a given clock; {@code background} false runs stores inline and schedules nothing. */
    RolloutRegistry(RolloutStore store, AuditLog audit, PrometheusRegistry metrics, Clock clock, boolean background) {
        this.store = store;
        this.audit = audit;
        this.clock = clock;
        this.metricsRegistry = metrics;
        this.byState = Gauge.builder().name("patchfleet_rollouts")
                .help("Rollouts (release and tier) by state: active, paused, halted").labelNames("state")
                .withoutExemplars().register(metrics);
        this.halts = Counter.builder().name("patchfleet_rollout_halts")
                .help("Rollouts halted, by who halted them: gate (a health gate) or admin").labelNames("by")
                .withoutExemplars().register(metrics);
        this.worker = background ? Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "patchfleet-rollouts");
            t.setDaemon(true);
            return t;
        }) : null;
        refresh();
        if (worker != null) {
            worker.scheduleWithFixedDelay(this::refresh, REFRESH_SECONDS, REFRESH_SECONDS, TimeUnit.SECONDS);
            worker.scheduleWithFixedDelay(() -> health.prune(clock.instant()), 10, 10, TimeUnit.MINUTES);
        }
    }

    @Deactivate
    void deactivate() {
        if (worker != null) {
            worker.shutdown();
            try {
                worker.awaitTermination(5, TimeUnit.SECONDS); // let queued writes finish
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        metricsRegistry.unregister(byState);
        metricsRegistry.unregister(halts);
    }

    HealthTracker health() {
        return health;
    }

    /** Reads every stored row; the newer of stored and in-memory wins. */
    void refresh() {
        try {
            for (RolloutRecord r : store.all()) {
                records.merge(key(r), r, (mine, stored) -> stored.updatedAt().isAfter(mine.updatedAt()) ? stored : mine);
            }
            countStates();
        } catch (StoreException | RuntimeException e) {
            LOG.warn("Reading rollout state failed: {}; using what is in memory", e.getMessage());
        }
    }

    private void countStates() {
        Map<String, Long> counts = new java.util.HashMap<>();
        RolloutRecord.STATES.forEach(s -> counts.put(s, 0L));
        records.values().forEach(r -> counts.merge(r.state(), 1L, Long::sum));
        counts.forEach((s, n) -> byState.labelValues(s).set(n));
    }

    static RolloutKey key(RolloutRecord r) {
        return new RolloutKey(r.kernel(), r.version(), r.tier());
    }

    /** The record of a rollout, created (active, available from now) the first time it is asked for. */
    RolloutRecord record(RolloutKey key, Instant now) {
        RolloutRecord r = records.get(key);
        if (r != null) {
            return r;
        }
        RolloutRecord fresh = RolloutRecord.fresh(key.kernel(), key.version(), key.tier(), now);
        RolloutRecord existing = records.putIfAbsent(key, fresh);
        if (existing != null) {
            return existing;
        }
        background(() -> {
            RolloutRecord stored = store.createIfAbsent(fresh);
            records.merge(key, stored, (mine, s) -> s.updatedAt().isAfter(mine.updatedAt()) || !s.equals(fresh) ? s : mine);
        });
        return fresh;
    }

    Optional<RolloutRecord> find(RolloutKey key) {
        return Optional.ofNullable(records.get(key));
    }

    List<RolloutRecord> all() {
        return new ArrayList<>(records.values());
    }

    /** The view a policy gets. */
    ReleaseRollout view(RolloutKey key, RolloutRecord r) {
        RolloutState state = switch (r.state()) {
            case "paused" -> RolloutState.PAUSED;
            case "halted" -> RolloutState.HALTED;
            default -> RolloutState.ACTIVE;
        };
        return new ReleaseRollout(r.version(), state, r.startedAt(), r.availableSince(), r.approvedAt(),
                r.advancedSteps(), r.cause().isEmpty() ? Optional.empty() : Optional.of(r.cause()), health.history(key));
    }

    /** Notes the first offer of a rollout. */
    void started(RolloutKey key, Instant now) {
        RolloutRecord r = records.get(key);
        if (r == null || r.startedAt().isPresent()) {
            return;
        }
        RolloutRecord next = r.withStartedAt(now);
        if (records.replace(key, r, next)) {
            background(() -> store.save(next));
        }
    }

    @Override
    public void halt(KernelId kernel, long version, TierName tier, String actor, String cause, boolean revert) {
        RolloutKey key = new RolloutKey(kernel, version, tier);
        Instant now = clock.instant();
        RolloutRecord before = record(key, now);
        if (before.state().equals("halted")) {
            return;
        }
        RolloutRecord after = before.withState("halted", cut(cause), revert, now);
        if (!records.replace(key, before, after)) {
            return; // someone else changed it at the same moment; the next check-in decides again
        }
        halts.labelValues("gate").inc();
        LOG.warn("Rollout {} halted by {}: {}{}", key, actor, cause, revert ? "; machines running it revert" : "");
        countStates();
        background(() -> {
            store.save(after);
            audit.append(actor, "rollout.halt", key.toString(), json(before), json(after));
        });
    }

    /** An admin operation, stored before it returns; the caller writes the audit entry. */
    RolloutRecord change(RolloutKey key, java.util.function.UnaryOperator<RolloutRecord> op) throws StoreException {
        Instant now = clock.instant();
        synchronized (this) {
            RolloutRecord before = record(key, now);
            RolloutRecord after = op.apply(before);
            store.save(after);
            records.put(key, after);
            if (after.state().equals("halted") && !before.state().equals("halted")) {
                halts.labelValues("admin").inc();
            }
            countStates();
            return after;
        }
    }

    Instant now() {
        return clock.instant();
    }

    /** The audit form of a record: {"state":…,"cause":…,"revert":…}. */
    static String json(RolloutRecord r) {
        try {
            return JSON.writeValueAsString(Map.of("state", r.state(), "cause", r.cause(), "revert", r.revert()));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            return r.state();
        }
    }

    private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();

    private static String cut(String s) {
        return s.length() <= 512 ? s : s.substring(0, 511) + "…";
    }

    private interface StoreWork {
        void run() throws StoreException;
    }

    private void background(StoreWork work) {
        Runnable task = () -> {
            try {
                work.run();
            } catch (StoreException | RuntimeException e) {
                LOG.warn("Storing rollout state failed: {}; kept in memory, stored again at the next change", e.getMessage());
            }
        };
        if (worker == null) {
            task.run();
        } else {
            try {
                worker.execute(task);
            } catch (java.util.concurrent.RejectedExecutionException stopping) {
                task.run();
            }
        }
    }
}
