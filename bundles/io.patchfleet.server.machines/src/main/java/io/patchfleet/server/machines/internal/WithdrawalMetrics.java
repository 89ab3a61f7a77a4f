package io.patchfleet.server.machines.internal;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.patchfleet.store.api.StoreException;
import io.patchfleet.store.api.UpstreamWithdrawal;
import io.patchfleet.store.api.UpstreamWithdrawals;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

/**
 * {@code patchfleet_patches_withdrawn_upstream{state}}: patches the upstream withdrew that are
 * offered here anyway because an admin keeps them ({@code state="enabled"}, shown as
 * "enabled (!)") and those revoked here because of it ({@code state="blocked"}). Counted at each
 * scrape: one query over the (small) flagged part of the catalog, so an alert on
 * {@code state="enabled" > 0} sees a keep at once.
 */
@Component(immediate = true, service = {})
public final class WithdrawalMetrics {
    private static final Logger LOG = LoggerFactory.getLogger(WithdrawalMetrics.class);

    private final PrometheusRegistry registry;
    private final GaugeWithCallback gauge;

    @Activate
    public WithdrawalMetrics(@Reference PrometheusRegistry registry, @Reference UpstreamWithdrawals withdrawals) {
        this.registry = registry;
        this.gauge = GaugeWithCallback.builder()
                .name("patchfleet_patches_withdrawn_upstream")
                .help("Patches the upstream withdrew: enabled (kept by an admin here, 'enabled (!)') or blocked (revoked here)")
                .labelNames("state")
                .callback(cb -> {
                    long enabled = 0;
                    long blocked = 0;
                    try {
                        for (UpstreamWithdrawal w : withdrawals.flagged()) {
                            if (w.enabledDespiteWithdrawal()) {
                                enabled++;
                            } else if (w.withdrawn()) {
                                blocked++;
                            }
                        }
                    } catch (StoreException e) {
                        LOG.warn("Cannot count the patches withdrawn upstream for metrics: {}", e.getMessage());
                        return;
                    }
                    cb.call(enabled, "enabled");
                    cb.call(blocked, "blocked");
                })
                .register(registry);
    }

    @Deactivate
    void deactivate() {
        registry.unregister(gauge);
    }
}
