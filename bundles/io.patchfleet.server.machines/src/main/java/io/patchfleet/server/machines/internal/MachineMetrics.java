package io.patchfleet.server.machines.internal;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;

import io.patchfleet.rollout.api.Decision;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

/**
 * Check-in metrics in the server's registry: decisions by outcome (offer, hold, revert) and
 * answers not modified. Request counts and durations of the check-in route come from the router.
 */
@Component(service = MachineMetrics.class)
public class MachineMetrics {
    private final PrometheusRegistry registry;
    private final Counter decisions;

    @Activate
    public MachineMetrics(@Reference PrometheusRegistry registry) {
        this.registry = registry;
        this.decisions = Counter.builder()
                .name("patchfleet_checkin_decisions")
                .help("Rollout decisions of check-ins by outcome; not-modified when the machine's ETag still held")
                .labelNames("outcome")
                .withoutExemplars()
                .register(registry);
    }

    @Deactivate
    void deactivate() {
        registry.unregister(decisions);
    }

    void decision(Decision d) {
        decisions.labelValues(d instanceof Decision.Offer ? "offer" : d instanceof Decision.Hold ? "hold" : "revert").inc();
    }

    void notModified() {
        decisions.labelValues("not-modified").inc();
    }
}
