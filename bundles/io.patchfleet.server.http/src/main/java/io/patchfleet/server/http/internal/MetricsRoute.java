package io.patchfleet.server.http.internal;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import io.patchfleet.server.api.ApiRequest;
import io.patchfleet.server.api.ApiResponse;
import io.patchfleet.server.api.Route;
import io.patchfleet.server.api.Scope;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

/** {@code GET /metrics}: every metric of the server's registry in the Prometheus text format. */
@Component
public class MetricsRoute implements Route {

    private final PrometheusRegistry registry;
    private final PrometheusTextFormatWriter writer = PrometheusTextFormatWriter.create();

    @Activate
    public MetricsRoute(@Reference PrometheusRegistry registry) {
        this.registry = registry;
    }

    @Override
    public String method() {
        return "GET";
    }

    @Override
    public String path() {
        return "/metrics";
    }

    @Override
    public Scope scope() {
        return Scope.PUBLIC;
    }

    @Override
    public ApiResponse handle(ApiRequest request) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(16 * 1024);
        try {
            writer.write(out, registry.scrape());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new ApiResponse(200, java.util.Map.of(), null, out.toByteArray(), writer.getContentType());
    }
}
