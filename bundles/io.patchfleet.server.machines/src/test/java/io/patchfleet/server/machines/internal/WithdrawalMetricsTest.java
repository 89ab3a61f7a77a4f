package io.patchfleet.server.machines.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.Test;

import io.patchfleet.model.KernelId;
import io.patchfleet.store.api.UpstreamWithdrawal;
import io.patchfleet.store.api.UpstreamWithdrawal.RevokedBy;
import io.patchfleet.store.api.UpstreamWithdrawals;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;

class WithdrawalMetricsTest {
    static final KernelId K = KernelId.of("5.15.0-91-generic", "x86_64", "");

    @Test
    void keptAndBlockedWithdrawalsAreCountedAtEachScrape() {
        List<UpstreamWithdrawal> flagged = new java.util.ArrayList<>();
        UpstreamWithdrawals store = new UpstreamWithdrawals() {
            @Override
            public Outcome recordWithdrawal(KernelId kernel, long version, String reason) {
                throw new UnsupportedOperationException();
            }

            @Override
            public boolean keep(KernelId kernel, long version, String actor, String reason) {
                throw new UnsupportedOperationException();
            }

            @Override
            public boolean unkeep(KernelId kernel, long version) {
                throw new UnsupportedOperationException();
            }

            @Override
            public Optional<UpstreamWithdrawal> find(KernelId kernel, long version) {
                throw new UnsupportedOperationException();
            }

            @Override
            public List<UpstreamWithdrawal> flagged() {
                return List.copyOf(flagged);
            }
        };
        PrometheusRegistry registry = new PrometheusRegistry();
        WithdrawalMetrics metrics = new WithdrawalMetrics(registry, store);
        assertEquals(Map.of("enabled", 0.0, "blocked", 0.0), values(registry));

        Instant t = Instant.parse("2026-03-01T10:00:00Z");
        flagged.add(new UpstreamWithdrawal(K, 1, Optional.empty(), Optional.of(t), Optional.of("x"), Optional.of("ada"), Optional.of(t)));
        flagged.add(new UpstreamWithdrawal(K, 2, Optional.of(RevokedBy.UPSTREAM), Optional.of(t), Optional.of("x"), Optional.empty(),
                Optional.empty()));
        flagged.add(new UpstreamWithdrawal(K, 3, Optional.of(RevokedBy.LOCAL), Optional.empty(), Optional.empty(), Optional.empty(),
                Optional.empty()));
        flagged.add(new UpstreamWithdrawal(K, 4, Optional.empty(), Optional.empty(), Optional.empty(), Optional.of("ada"), Optional.of(t)));
        assertEquals(Map.of("enabled", 1.0, "blocked", 1.0), values(registry), "a local revocation or a keep without withdrawal is not counted");
        metrics.deactivate();
        assertEquals(Map.of(), values(registry));
    }

    private static Map<String, Double> values(PrometheusRegistry registry) {
        Map<String, Double> out = new HashMap<>();
        for (MetricSnapshot s : registry.scrape()) {
            if (s instanceof GaugeSnapshot g && g.getMetadata().getName().equals("patchfleet_patches_withdrawn_upstream")) {
                g.getDataPoints().forEach(d -> out.put(d.getLabels().get("state"), d.getValue()));
            }
        }
        return out;
    }
}
