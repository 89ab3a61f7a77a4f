package io.patchfleet.it.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;
import org.osgi.service.component.runtime.ServiceComponentRuntime;
import org.osgi.service.servlet.runtime.HttpServiceRuntime;
import org.osgi.test.common.annotation.InjectBundleContext;
import org.osgi.test.common.annotation.InjectService;
import org.osgi.test.common.service.ServiceAware;

import com.fasterxml.jackson.databind.ObjectMapper;

import io.patchfleet.it.server.fixtures.TestBundles;
import io.patchfleet.it.support.FrameworkChecks;
import io.patchfleet.server.api.ApiRequest;
import io.patchfleet.server.api.ApiResponse;
import io.patchfleet.server.api.Route;
import io.patchfleet.server.api.Scope;
import jakarta.servlet.Servlet;

/** The server profile as shipped: every bundle and component up, the HTTP API on a real port. */
class ServerProfileTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration TIMEOUT = Duration.ofSeconds(20);

    @InjectBundleContext
    BundleContext context;

    @InjectService(timeout = 20_000)
    ServiceComponentRuntime scr;

    @InjectService(timeout = 20_000)
    ServiceAware<HttpServiceRuntime> runtime;

    @InjectService(filter = "(patchfleet.ready=http)", timeout = 20_000)
    ServiceAware<Servlet> router;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private String base;

    @BeforeEach
    void endpoint() {
        Object endpoint = runtime.getServiceReference().getProperty("osgi.http.endpoint");
        String url = endpoint instanceof String[] a ? a[0] : endpoint instanceof List<?> l ? String.valueOf(l.get(0)) : String.valueOf(endpoint);
        base = url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
        assertTrue(base.startsWith("http://127.0.0.1:"), "bound to loopback: " + base);
    }

    @Test
    void everyBundleIsActiveAndEveryComponentSatisfied() {
        FrameworkChecks.assertEveryBundleActive(context);
        FrameworkChecks.assertEveryComponentSatisfied(scr, "io.patchfleet.", 5);
    }

    @Test
    void healthListsBundlesOverARealPort() throws Exception {
        HttpResponse<String> response = get("/v1/health");
        assertEquals(200, response.statusCode(), response.body());
        assertTrue(response.headers().firstValue("content-type").orElse("").startsWith("application/json"));
        Map<?, ?> health = JSON.readValue(response.body(), Map.class);
        assertEquals("ok", health.get("status"));
        assertEquals("it", health.get("version"));
        assertEquals("server", health.get("profile"));
        assertNotNull(health.get("uptimeSeconds"));
        List<?> bundles = (List<?>) health.get("bundles");
        assertEquals(context.getBundles().length, bundles.size());
        Map<?, ?> httpBundle = bundles.stream().map(Map.class::cast)
                .filter(b -> "io.patchfleet.server.http".equals(b.get("symbolicName"))).findFirst().orElseThrow();
        assertEquals("ACTIVE", httpBundle.get("state"));
        assertNotNull(httpBundle.get("version"));
        assertEquals(List.of(), health.get("failedComponents"));
    }

    @Test
    void metricsExposeJvmAndPerRouteRequestCounts() throws Exception {
        get("/v1/health");
        get("/v1/does-not-exist");
        HttpResponse<String> response = get("/metrics");
        assertEquals(200, response.statusCode());
        assertTrue(response.headers().firstValue("content-type").orElse("").startsWith("text/plain"));
        String body = response.body();
        assertTrue(body.contains("jvm_memory_used_bytes"), "JVM metrics present");
        assertTrue(body.matches("(?s).*patchfleet_http_requests_total\\{method=\"GET\",route=\"/v1/health\",status=\"200\"} [1-9].*"),
                "health requests counted per route");
        assertTrue(body.contains("route=\"unmatched\",status=\"404\""), "unknown routes counted apart");
        assertTrue(body.contains("patchfleet_http_request_duration_seconds_bucket{method=\"GET\",route=\"/v1/health\""));
    }

    @Test
    void unknownRoutesAndWrongMethodsAnswerJson() throws Exception {
        HttpResponse<String> notFound = get("/v1/nothing/here");
        assertEquals(404, notFound.statusCode());
        assertEquals("not-found", error(notFound).get("code"));

        HttpResponse<String> wrongMethod = send(HttpRequest.newBuilder(URI.create(base + "/v1/health"))
                .DELETE().timeout(TIMEOUT).build());
        assertEquals(405, wrongMethod.statusCode());
        assertEquals("GET, HEAD", wrongMethod.headers().firstValue("allow").orElse(""));
        assertEquals("method-not-allowed", error(wrongMethod).get("code"));

        // A malformed URI is refused by Jetty's connector before any servlet runs; that one
        // answer is Jetty's own (README: known limits), but it is a clean 400, not a crash.
        String badUri = rawRequest("GET /v1/%ZZ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        assertTrue(badUri.startsWith("HTTP/1.1 400"), badUri);
    }

    @Test
    void bodiesAreBoundedAndMalformedJsonIsRefused() throws Exception {
        Route echo = new Route() {
            @Override
            public String method() {
                return "POST";
            }

            @Override
            public String path() {
                return "/v1/it/echo/{name}";
            }

            @Override
            public Scope scope() {
                return Scope.PUBLIC;
            }

            @Override
            public ApiResponse handle(ApiRequest request) throws io.patchfleet.server.api.ApiException {
                Map<?, ?> body = request.bodyAs(Map.class);
                return ApiResponse.ok(Map.of("name", request.pathParameter("name").orElseThrow(), "body", body));
            }
        };
        var registration = context.registerService(Route.class, echo, null);
        try {
            HttpResponse<String> ok = await(() -> post("/v1/it/echo/abc", "{\"x\":1}"), r -> r.statusCode() == 200);
            assertEquals(Map.of("name", "abc", "body", Map.of("x", 1)), JSON.readValue(ok.body(), Map.class));

            HttpResponse<String> malformed = post("/v1/it/echo/abc", "{\"x\":");
            assertEquals(400, malformed.statusCode());
            assertEquals("malformed-json", error(malformed).get("code"));

            // Declared too large: refused before the body is read (a raw request, because the
            // server answers and closes while a regular client would still be sending).
            String tooLarge = rawRequest("POST /v1/it/echo/abc HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                    + "Content-Length: 2000000\r\nConnection: close\r\n\r\n{");
            assertTrue(tooLarge.startsWith("HTTP/1.1 413"), tooLarge);
            assertTrue(tooLarge.contains("\"body-too-large\""), tooLarge);
        } finally {
            registration.unregister();
        }
        assertEquals(404, post("/v1/it/echo/abc", "{}").statusCode(), "route gone with its service");
    }

    @Test
    void nonPublicRoutesAreClosedWithoutCredentials() throws Exception {
        Route admin = new Route() {
            @Override
            public String method() {
                return "GET";
            }

            @Override
            public String path() {
                return "/v1/it/admin-only";
            }

            @Override
            public Scope scope() {
                return Scope.ADMIN;
            }

            @Override
            public ApiResponse handle(ApiRequest request) {
                return ApiResponse.ok(Map.of("secret", true));
            }
        };
        var registration = context.registerService(Route.class, admin, null);
        try {
            HttpResponse<String> response = await(() -> get("/v1/it/admin-only"), r -> r.statusCode() != 404);
            assertEquals(401, response.statusCode());
            assertFalse(response.body().contains("secret"));
        } finally {
            registration.unregister();
        }
    }

    @Test
    void credentialsOfOneScopeNeverOpenAnotherAndRolesAreEnforced() throws Exception {
        Route admin = new Route() {
            @Override
            public String method() {
                return "GET";
            }

            @Override
            public String path() {
                return "/v1/it/promote";
            }

            @Override
            public Scope scope() {
                return Scope.ADMIN;
            }

            @Override
            public java.util.Set<String> roles() {
                return java.util.Set.of("operator");
            }

            @Override
            public ApiResponse handle(ApiRequest request) {
                return ApiResponse.ok(Map.of("by", request.principal().orElseThrow().name()));
            }
        };
        io.patchfleet.server.api.Authenticator admins = authenticator(Scope.ADMIN, Map.of(
                "Bearer op", new io.patchfleet.server.api.Principal("olga", Scope.ADMIN, java.util.Set.of("operator", "auditor")),
                "Bearer aud", new io.patchfleet.server.api.Principal("ali", Scope.ADMIN, java.util.Set.of("auditor"))));
        io.patchfleet.server.api.Authenticator machines = authenticator(Scope.MACHINE, Map.of(
                "Bearer m1", new io.patchfleet.server.api.Principal("machine-1", Scope.MACHINE, java.util.Set.of())));
        var routeReg = context.registerService(Route.class, admin, null);
        var adminReg = context.registerService(io.patchfleet.server.api.Authenticator.class, admins, null);
        var machineReg = context.registerService(io.patchfleet.server.api.Authenticator.class, machines, null);
        try {
            await(() -> get("/v1/it/promote"), r -> r.statusCode() != 404);
            assertEquals(401, get("/v1/it/promote").statusCode(), "no credentials");
            assertEquals(401, getWith("/v1/it/promote", "Bearer wrong").statusCode(), "wrong credentials");
            assertEquals(401, getWith("/v1/it/promote", "Bearer m1").statusCode(), "a machine credential on an admin route");
            HttpResponse<String> auditor = getWith("/v1/it/promote", "Bearer aud");
            assertEquals(403, auditor.statusCode(), "an auditor may not promote");
            assertEquals("forbidden", error(auditor).get("code"));
            HttpResponse<String> operator = getWith("/v1/it/promote", "Bearer op");
            assertEquals(200, operator.statusCode(), operator.body());
            assertEquals("olga", JSON.readValue(operator.body(), Map.class).get("by"));
        } finally {
            machineReg.unregister();
            adminReg.unregister();
            routeReg.unregister();
        }
    }

    private static io.patchfleet.server.api.Authenticator authenticator(Scope scope,
            Map<String, io.patchfleet.server.api.Principal> known) {
        return new io.patchfleet.server.api.Authenticator() {
            @Override
            public Scope scope() {
                return scope;
            }

            @Override
            public java.util.Optional<io.patchfleet.server.api.Principal> authenticate(String authorization, ApiRequest request) {
                return java.util.Optional.ofNullable(known.get(authorization));
            }
        };
    }

    private HttpResponse<String> getWith(String path, String authorization) throws Exception {
        return send(HttpRequest.newBuilder(URI.create(base + path)).timeout(TIMEOUT)
                .header("Authorization", authorization).GET().build());
    }

    @Test
    void anUpdatedBundleSwapsItsServiceWithoutARestart() throws Exception {
        long routerId = (Long) router.getServiceReference().getProperty("service.id");
        Bundle bundle = context.installBundle("it:answer", new ByteArrayInputStream(TestBundles.answerBundle("1.0.0", "one")));
        try {
            bundle.start();
            assertEquals("one", answer(await(() -> get("/v1/it/answer"), r -> r.statusCode() == 200)));

            bundle.update(new ByteArrayInputStream(TestBundles.answerBundle("1.1.0", "two")));
            HttpResponse<String> after = await(() -> get("/v1/it/answer"),
                    r -> r.statusCode() == 200 && r.body().contains("two"));
            assertEquals("two", answer(after));
            assertEquals("1.1.0", bundle.getVersion().toString());
            // The router rebound the new route; it was not restarted to do so.
            assertEquals(routerId, (Long) router.getServiceReference().getProperty("service.id"));
        } finally {
            bundle.uninstall();
        }
        await(() -> get("/v1/it/answer"), r -> r.statusCode() == 404);
    }

    @Test
    void aComponentThatFailsToActivateMakesHealth503() throws Exception {
        Bundle bundle = context.installBundle("it:failing", new ByteArrayInputStream(TestBundles.failingComponentBundle()));
        try {
            bundle.start();
            HttpResponse<String> failing = await(() -> get("/v1/health"), r -> r.statusCode() == 503);
            Map<?, ?> health = JSON.readValue(failing.body(), Map.class);
            assertEquals("failing", health.get("status"));
            List<?> failed = (List<?>) health.get("failedComponents");
            assertEquals(1, failed.size(), failing.body());
            Map<?, ?> component = (Map<?, ?>) failed.get(0);
            assertEquals("io.patchfleet.it.failing", component.get("name"));
            assertTrue(String.valueOf(component.get("failure")).contains("deliberate activation failure"), failing.body());
        } finally {
            bundle.uninstall();
        }
        assertEquals(200, await(() -> get("/v1/health"), r -> r.statusCode() == 200).statusCode());
    }

    /** A request Java's HTTP client refuses to send, written on a socket. */
    private String rawRequest(String request) throws Exception {
        URI uri = URI.create(base);
        try (java.net.Socket socket = new java.net.Socket(uri.getHost(), uri.getPort())) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(request.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();
            return new String(socket.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        }
    }

    private String answer(HttpResponse<String> response) throws Exception {
        return String.valueOf(JSON.readValue(response.body(), Map.class).get("answer"));
    }

    private Map<?, ?> error(HttpResponse<String> response) throws Exception {
        assertTrue(response.headers().firstValue("content-type").orElse("").startsWith("application/json"), response.body());
        return (Map<?, ?>) JSON.readValue(response.body(), Map.class).get("error");
    }

    private HttpResponse<String> get(String path) throws Exception {
        return send(HttpRequest.newBuilder(URI.create(base + path)).timeout(TIMEOUT).GET().build());
    }

    private HttpResponse<String> post(String path, String body) throws Exception {
        return send(HttpRequest.newBuilder(URI.create(base + path)).timeout(TIMEOUT)
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build());
    }

    private HttpResponse<String> send(HttpRequest request) throws Exception {
        return http.send(request, HttpResponse.BodyHandlers.ofString());
    }

    interface Call {
        HttpResponse<String> call() throws Exception;
    }

    /** Polls until the condition holds, for at most 10 s; service changes reach the router asynchronously. */
    static HttpResponse<String> await(Call call, Predicate<HttpResponse<String>> condition) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        HttpResponse<String> last;
        do {
            last = call.call();
            if (condition.test(last)) {
                return last;
            }
            Thread.onSpinWait();
            TimeUnit.MILLISECONDS.sleep(20);
        } while (System.nanoTime() < deadline);
        throw new AssertionError("condition not reached within 10 s; last answer " + last.statusCode() + " " + last.body());
    }
}
