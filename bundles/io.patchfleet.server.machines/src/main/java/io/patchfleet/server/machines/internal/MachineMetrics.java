package io.patchfleet.server.machines.internal;

import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.patchfleet.rollout.api.Decision;
import io.patchfleet.store.api.HealthCount;
import io.patchfleet.store.api.MachineFilter;
import io.patchfleet.store.api.MachineStore;
import io.patchfleet.store.api.StoreException;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

/**
 * Check-in metrics in the server's registry: decisions by outcome (offer, hold, revert) and
 * answers not modified; how long the check-in path waits for the store, by operation (DB
 * timings as the hot path sees them: a report's time includes waiting for its group commit);
 * and machines by tier and patch state. Request counts and durations of the check-in route come
 * from the router.
 *
 * <p>Machines by state is a GROUP BY over the whole fleet (at a million machines, seconds of CPU
 * and a sweep through the database cache), so it is counted on this component's own thread shortly
 * after start and then every {@code machine.count.interval.seconds} (default 15 minutes), never on
 * a scrape or a check-in. A count that takes more than a second is logged with its duration.
 */
@Component(service = MachineMetrics.class)
public class MachineMetrics {
    private static final Logger LOG = LoggerFactory.getLogger(MachineMetrics.class);

    private final PrometheusRegistry registry;
    private final MachineStore machines;
    private final MachineApi api;
    private final Counter decisions;
    private final Histogram storeDurations;
    private final Gauge byState;
    private final ScheduledExecutorService scheduler;

    @Activate
    public MachineMetrics(@Reference PrometheusRegistry registry, @Reference MachineStore machines,
            @Reference MachineApi api) {
        this.registry = registry;
        this.machines = machines;
        this.api = api;
        this.decisions = Counter.builder()
                .name("patchfleet_checkin_decisions")
                .help("Rollout decisions of check-ins by outcome; not-modified when the machine's ETag still held")
                .labelNames("outcome")
                .withoutExemplars()
                .register(registry);
        this.storeDurations = Histogram.builder()
                .name("patchfleet_checkin_store_duration_seconds")
                .help("Time check-ins spend in the store by operation: authenticate, find-machine, catalog, record-decision (only when a machine's answer changed), record-report "
                        + "(including the wait for its group commit)")
                .labelNames("operation")
                .classicOnly()
                .classicUpperBounds(0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1)
                .withoutExemplars()
                .register(registry);
        this.byState = Gauge.builder()
                .name("patchfleet_machines")
                .help("Enrolled machines by tier and patch state of their last check-in (needs-check: never checked in), "
                        + "counted every machine.count.interval.seconds")
                .labelNames("tier", "state")
                .register(registry);
        this.scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "patchfleet-machine-metrics");
            t.setDaemon(true);
            return t;
        });
        scheduler.schedule(this::countMachines, 5, TimeUnit.SECONDS);
    }

    @Deactivate
    void deactivate() {
        scheduler.shutdownNow();
        registry.unregister(decisions);
        registry.unregister(storeDurations);
        registry.unregister(byState);
    }

    void decision(Decision d) {
        outcome(d instanceof Decision.Offer ? "offer" : d instanceof Decision.Hold ? "hold" : "revert").inc();
    }

    void notModified() {
        outcome("not-modified").inc();
    }

    /** Records a store call of the check-in path that started at {@code startNanos}. */
    void store(String operation, long startNanos) {
        io.prometheus.metrics.core.datapoints.DistributionDataPoint p = operations.get(operation);
        if (p == null) {
            p = operations.computeIfAbsent(operation, storeDurations::labelValues);
        }
        p.observe((System.nanoTime() - startNanos) / 1e9);
    }

    // Data points looked up once per label (a handful of constants): the library's lookup builds
    // a label list per call, several times per check-in.
    private final java.util.concurrent.ConcurrentHashMap<String, io.prometheus.metrics.core.datapoints.CounterDataPoint> outcomes =
            new java.util.concurrent.ConcurrentHashMap<>();
    private final java.util.concurrent.ConcurrentHashMap<String, io.prometheus.metrics.core.datapoints.DistributionDataPoint> operations =
            new java.util.concurrent.ConcurrentHashMap<>();

    private io.prometheus.metrics.core.datapoints.CounterDataPoint outcome(String outcome) {
        io.prometheus.metrics.core.datapoints.CounterDataPoint p = outcomes.get(outcome);
        return p != null ? p : outcomes.computeIfAbsent(outcome, decisions::labelValues);
    }

    private void countMachines() {
        long interval = api.machineCountIntervalSeconds();
        try {
            if (interval == 0) {
                return;
            }
            long start = System.nanoTime();
            List<HealthCount> counts = machines.patchHealth(MachineFilter.ALL);
            java.util.Map<List<String>, Long> sums = new java.util.HashMap<>();
            for (HealthCount c : counts) {
                sums.merge(List.of(c.tier().value(), c.state().wireName()), c.machines(), Long::sum);
            }
            byState.clear();
            sums.forEach((labels, n) -> byState.labelValues(labels.get(0), labels.get(1)).set(n));
            long millis = (System.nanoTime() - start) / 1_000_000;
            if (millis > 1000) {
                LOG.info("Counted {} machines by tier and state in {} ms", sums.values().stream().mapToLong(Long::longValue).sum(),
                        millis);
            }
        } catch (StoreException | RuntimeException e) {
            LOG.warn("Counting machines by state failed: {}", e.getMessage());
        } finally {
            if (!scheduler.isShutdown()) {
                // Re-read each time, so a changed interval applies from the next count on.
                scheduler.schedule(this::countMachines, Math.max(interval, 60), TimeUnit.SECONDS);
            }
        }
    }
}
