package io.patchfleet.server.http.internal;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

/**
 * The server's metric registry: JVM metrics plus HTTP request counts and durations per route.
 * Other bundles register their own metrics in the {@link PrometheusRegistry} service this
 * component provides, so that {@code /metrics} shows everything in one scrape.
 *
 * <p>A registry per component instance, not the library's static default registry, so that
 * an update of this bundle starts from a clean registry instead of failing on duplicate names.
 */
@Component(service = {HttpMetrics.class, PrometheusRegistry.class})
public class HttpMetrics extends PrometheusRegistry {

    private final Counter requests;
    private final Histogram durations;
    private final Counter rejected;

    @Activate
    public HttpMetrics() {
        JvmMetrics.builder().register(this);
        requests = Counter.builder()
                .name("patchfleet_http_requests")
                .help("HTTP requests by method, route template and status")
                .labelNames("method", "route", "status")
                .withoutExemplars() // no tracing here; exemplars would only cost time
                .register(this);
        durations = Histogram.builder()
                .name("patchfleet_http_request_duration_seconds")
                .help("HTTP request durations by method and route template")
                .labelNames("method", "route")
                .classicOnly()
                .classicUpperBounds(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
                .withoutExemplars()
                .register(this);
        rejected = Counter.builder()
                .name("patchfleet_http_rejected")
                .help("Requests refused before routing: overloaded (503) or rate-limited (429)")
                .labelNames("reason")
                .withoutExemplars()
                .register(this);
    }

    void rejected(String reason) {
        rejected.labelValues(reason).inc();
    }

    void record(String method, String route, int status, long nanos) {
        Series series = this.series.get(new SeriesKey(method, route, status));
        if (series == null) {
            series = new Series(requests.labelValues(method, route, Integer.toString(status)),
                    durations.labelValues(method, route));
            if (this.series.size() < 10_000) { // templates, methods and statuses are few; bounded anyway
                this.series.put(new SeriesKey(method, route, status), series);
            }
        }
        series.count().inc();
        series.duration().observe(nanos / 1e9);
    }

    /**
     * The data points of each (method, route, status), looked up once: the library's own lookup
     * builds a label list per call, on every request of the hot path.
     */
    private record SeriesKey(String method, String route, int status) {}

    private record Series(io.prometheus.metrics.core.datapoints.CounterDataPoint count,
            io.prometheus.metrics.core.datapoints.DistributionDataPoint duration) {}

    private final java.util.concurrent.ConcurrentHashMap<SeriesKey, Series> series = new java.util.concurrent.ConcurrentHashMap<>();
}
