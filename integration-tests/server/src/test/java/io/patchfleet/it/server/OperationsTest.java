package io.patchfleet.it.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.osgi.framework.BundleContext;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.servlet.runtime.HttpServiceRuntime;
import org.osgi.test.common.annotation.InjectBundleContext;
import org.osgi.test.common.annotation.InjectService;
import org.osgi.test.common.service.ServiceAware;

import io.patchfleet.server.api.ApiRequest;
import io.patchfleet.server.api.ApiResponse;
import io.patchfleet.server.api.Route;
import io.patchfleet.server.api.Scope;

/** Readiness, request ids and the admission limits (503 when saturated, 429 per address). */
class OperationsTest {
    @InjectBundleContext
    BundleContext context;

    @InjectService(timeout = 20_000)
    ConfigurationAdmin configAdmin;

    @InjectService(timeout = 20_000)
    ServiceAware<HttpServiceRuntime> runtime;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private String base;
    private Configuration router;

    @BeforeEach
    void endpoint() throws Exception {
        Object endpoint = runtime.getServiceReference().getProperty("osgi.http.endpoint");
        String url = endpoint instanceof String[] a ? a[0] : String.valueOf(endpoint);
        base = url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
        router = configAdmin.getConfiguration("io.patchfleet.server.http", "?");
    }

    @AfterEach
    void restore() throws Exception {
        router.delete();
        // Configuration Admin applies the deletion asynchronously; under a loaded machine it once
        // took longer than the next test's wait, which then met this test's rate limit. Leave
        // only once the defaults (no rate limit, free slots) answer again.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        int status;
        int inARow = 0; // ten answers in a row: more than a rate-limit test's allowance per second
        do {
            status = get("/v1/it/restore-probe").statusCode();
            inARow = status == 404 ? inARow + 1 : 0;
            if (inARow == 10) {
                return;
            }
            if (inARow == 0) {
                TimeUnit.MILLISECONDS.sleep(50);
            }
        } while (System.nanoTime() < deadline);
        throw new AssertionError("the router's default configuration did not return within 60 s (last status " + status + ")");
    }

    private HttpResponse<String> get(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(20)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private void configure(Map<String, Object> values) throws Exception {
        Dictionary<String, Object> props = new Hashtable<>(values);
        router.update(props);
    }

    @Test
    void readinessAndRequestIds() throws Exception {
        HttpResponse<String> ready = ServerProfileTest.await(() -> get("/v1/ready"), r -> r.statusCode() == 200);
        assertTrue(ready.body().contains("\"ready\":true"), ready.body());
        String id = ready.headers().firstValue("x-request-id").orElseThrow();
        assertEquals(16, id.length());
        HttpResponse<String> echoed = http.send(HttpRequest.newBuilder(URI.create(base + "/v1/health"))
                .header("X-Request-Id", "proxy-req-0001").build(), HttpResponse.BodyHandlers.ofString());
        assertEquals("proxy-req-0001", echoed.headers().firstValue("x-request-id").orElseThrow());
    }

    @Test
    void theAccessLogWritesOneJsonLinePerRequestWithItsRequestId() throws Exception {
        java.nio.file.Path log = java.nio.file.Path.of(context.getProperty("patchfleet.data"), "log", "access.log");
        configure(Map.of("access.log", true));
        // (Escaping of quotes and newlines is AccessLogTest's; Jetty refuses such paths before the router.)
        ServerProfileTest.await(() -> http.send(HttpRequest.newBuilder(URI.create(base + "/v1/it/%22quoted"))
                .header("X-Request-Id", "access-log-it-0001").build(), HttpResponse.BodyHandlers.ofString()),
                r -> r.statusCode() == 404 && java.nio.file.Files.exists(log) && lines(log).stream()
                        .anyMatch(l -> l.contains("access-log-it-0001")));
        var mapper = new com.fasterxml.jackson.databind.ObjectMapper();
        var entry = mapper.readTree(lines(log).stream().filter(l -> l.contains("access-log-it-0001")).findFirst().orElseThrow());
        assertEquals(404, entry.get("status").asInt());
        assertEquals("GET", entry.get("method").asText());
        assertEquals("/v1/it/%22quoted", entry.get("path").asText());
        assertEquals("unmatched", entry.get("route").asText());
        assertTrue(entry.get("durationMs").asDouble() >= 0);
        for (String line : lines(log)) {
            mapper.readTree(line); // every line parses
        }
    }

    private static java.util.List<String> lines(java.nio.file.Path log) {
        try {
            return java.nio.file.Files.readAllLines(log);
        } catch (java.io.IOException e) {
            return java.util.List.of();
        }
    }

    @Test
    void aSaturatedServerSheds503AndStillAnswersProbes() throws Exception {
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Route slow = new Route() {
            @Override
            public String method() {
                return "GET";
            }

            @Override
            public String path() {
                return "/v1/it/slow";
            }

            @Override
            public Scope scope() {
                return Scope.PUBLIC;
            }

            @Override
            public ApiResponse handle(ApiRequest request) {
                entered.countDown();
                try {
                    release.await(20, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return ApiResponse.ok(Map.of("done", true));
            }
        };
        var registration = context.registerService(Route.class, slow, null);
        try {
            configure(Map.of("max.concurrent.requests", 1, "queue.timeout.ms", 50L));
            ServerProfileTest.await(() -> get("/v1/it/nothing"), r -> r.statusCode() == 404);
            CompletableFuture<HttpResponse<String>> first = http.sendAsync(
                    HttpRequest.newBuilder(URI.create(base + "/v1/it/slow")).build(), HttpResponse.BodyHandlers.ofString());
            assertTrue(entered.await(10, TimeUnit.SECONDS), "the slow request holds the only slot");
            HttpResponse<String> shed = get("/v1/it/slow");
            assertEquals(503, shed.statusCode(), shed.body());
            assertTrue(shed.body().contains("\"overloaded\""), shed.body());
            assertEquals("1", shed.headers().firstValue("retry-after").orElse(""));
            assertEquals(200, get("/v1/health").statusCode(), "probes are never shed");
            release.countDown();
            assertEquals(200, first.get(20, TimeUnit.SECONDS).statusCode());
        } finally {
            release.countDown();
            registration.unregister();
        }
    }

    @Test
    void oneAddressOverItsRateGets429() throws Exception {
        configure(Map.of("rate.limit.per.address", 3));
        // Wait until the limit is in force, then exhaust it within one second.
        ServerProfileTest.await(() -> get("/v1/it/none"), r -> r.statusCode() == 429);
        HttpResponse<String> limited = ServerProfileTest.await(() -> get("/v1/it/none"), r -> r.statusCode() == 429);
        assertTrue(limited.body().contains("\"too-many-requests\""), limited.body());
        assertEquals(200, get("/v1/health").statusCode(), "probes are never limited");
    }
}
