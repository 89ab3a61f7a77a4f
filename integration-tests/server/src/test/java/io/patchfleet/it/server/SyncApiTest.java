package io.patchfleet.it.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.osgi.framework.BundleContext;
import org.osgi.service.servlet.runtime.HttpServiceRuntime;
import org.osgi.test.common.annotation.InjectBundleContext;
import org.osgi.test.common.annotation.InjectService;
import org.osgi.test.common.service.ServiceAware;

import com.fasterxml.jackson.databind.ObjectMapper;

import jakarta.servlet.Servlet;

/**
 * Sync tokens and the sync API of the server profile over its real port: a sync token opens the
 * sync routes and nothing else; admin tokens, machine-looking credentials and no credential are
 * refused on sync routes; a revoked token stops working at once.
 */
class SyncApiTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final AtomicLong SEQ = new AtomicLong(System.currentTimeMillis() % 1_000_000);

    @InjectBundleContext
    BundleContext context;

    @InjectService(timeout = 20_000)
    ServiceAware<HttpServiceRuntime> runtime;

    @InjectService(filter = "(patchfleet.ready=http)", timeout = 20_000)
    ServiceAware<Servlet> router;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private String base;

    @BeforeEach
    void endpoint() throws Exception {
        Object endpoint = runtime.getServiceReference().getProperty("osgi.http.endpoint");
        String url = endpoint instanceof String[] a ? a[0] : endpoint instanceof List<?> l ? String.valueOf(l.get(0)) : String.valueOf(endpoint);
        base = url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
        ServerProfileTest.await(() -> call("POST", "/v1/admin/login", null, "{}"), r -> r.statusCode() != 404);
        ServerProfileTest.await(() -> call("GET", "/v1/admin/sync-tokens", null, null), r -> r.statusCode() != 404);
        ServerProfileTest.await(() -> call("GET", "/v1/sync/releases", null, null), r -> r.statusCode() != 404);
        ServerProfileTest.await(() -> call("POST", "/v1/sync/reports", null, "{}"), r -> r.statusCode() != 404);
        ServerProfileTest.await(() -> call("GET", "/v1/admin/downstreams", null, null), r -> r.statusCode() != 404);
    }

    private String adminToken() throws Exception {
        String password = Files.readString(Path.of(context.getProperty("patchfleet.data")).resolve("initial-admin-password")).strip();
        HttpResponse<String> r = call("POST", "/v1/admin/login", null, JSON.writeValueAsString(Map.of("user", "admin", "password", password)));
        assertEquals(200, r.statusCode(), r.body());
        return (String) JSON.readValue(r.body(), Map.class).get("token");
    }

    @Test
    void aSyncTokenOpensTheSyncRoutesOnlyAndStopsWhenRevoked() throws Exception {
        String admin = adminToken();
        String tier = "it-sync-" + SEQ.incrementAndGet();
        assertEquals(201, call("POST", "/v1/admin/tiers", admin, "{\"name\":\"" + tier + "\"}").statusCode());
        HttpResponse<String> created = call("POST", "/v1/admin/sync-tokens", admin,
                JSON.writeValueAsString(Map.of("name", tier, "tier", tier, "expiresIn", "1h")));
        assertEquals(201, created.statusCode(), created.body());
        Map<?, ?> token = JSON.readValue(created.body(), Map.class);
        String secret = (String) token.get("secret");

        HttpResponse<String> releases = call("GET", "/v1/sync/releases", secret, null);
        assertEquals(200, releases.statusCode(), releases.body());
        assertTrue(JSON.readValue(releases.body(), Map.class).get("tiers") instanceof List<?> l && l.contains(tier), releases.body());

        for (String path : List.of("/v1/sync/releases", "/v1/sync/metadata/timestamp.json", "/v1/sync/blobs/" + "0".repeat(64))) {
            assertEquals(401, call("GET", path, null, null).statusCode(), path + " without a credential");
            assertEquals(401, call("GET", path, admin, null).statusCode(), path + " with an admin token");
            assertEquals(401, call("GET", path, "x".repeat(43), null).statusCode(), path + " with a made-up token");
        }
        assertEquals(404, call("GET", "/v1/sync/blobs/" + "0".repeat(64), secret, null).statusCode(), "no such module for this tier");
        assertEquals(401, call("GET", "/v1/admin/tiers", secret, null).statusCode(), "a sync token on an admin route");
        assertEquals(401, call("POST", "/v1/check-in", secret, "{}").statusCode(), "a sync token on a machine route");
        assertEquals(401, call("GET", "/v1/metadata/timestamp.json", secret, null).statusCode(), "a sync token on machine metadata");

        HttpResponse<String> listed = call("GET", "/v1/admin/sync-tokens", admin, null);
        assertTrue(listed.body().contains(tier) && !listed.body().contains(secret), "listed without its secret");
        assertEquals(409, call("POST", "/v1/admin/sync-tokens", admin,
                JSON.writeValueAsString(Map.of("name", tier, "tier", tier))).statusCode(), "a second usable token of that name");
        assertEquals(400, call("POST", "/v1/admin/sync-tokens", admin, "{\"name\":\"bad name\",\"tier\":\"edge\"}").statusCode());

        assertEquals(200, call("POST", "/v1/admin/sync-tokens/" + token.get("id") + "/revoke", admin, "{}").statusCode());
        assertEquals(401, call("GET", "/v1/sync/releases", secret, null).statusCode(), "revoked");
    }

    @Test
    void downstreamReportsNeedTheSyncTokenAndAValidBodyAndShowInTheAdminList() throws Exception {
        String admin = adminToken();
        String tier = "it-rep-" + SEQ.incrementAndGet();
        assertEquals(201, call("POST", "/v1/admin/tiers", admin, "{\"name\":\"" + tier + "\"}").statusCode());
        HttpResponse<String> created = call("POST", "/v1/admin/sync-tokens", admin,
                JSON.writeValueAsString(Map.of("name", tier, "tier", tier, "expiresIn", "1h")));
        assertEquals(201, created.statusCode(), created.body());
        Map<?, ?> token = JSON.readValue(created.body(), Map.class);
        String secret = (String) token.get("secret");
        String deployment = java.util.UUID.randomUUID().toString();
        String summary = JSON.writeValueAsString(Map.of("deploymentId", deployment, "mode", "summary", "serverVersion", "1.0.0",
                "reportId", "r1", "batch", 0, "machines", 4, "tiers", Map.of("edge", 4), "states", Map.of("applied", 3, "needs-check", 1)));

        // given no, a wrong or an admin credential: refused, nothing stored
        assertEquals(401, call("POST", "/v1/sync/reports", null, summary).statusCode());
        assertEquals(401, call("POST", "/v1/sync/reports", "x".repeat(43), summary).statusCode());
        assertEquals(401, call("POST", "/v1/sync/reports", admin, summary).statusCode());
        assertTrue(!call("GET", "/v1/admin/downstreams", admin, null).body().contains(deployment));

        // when the sync token reports a summary: listed with its token's name, counts and states
        HttpResponse<String> stored = call("POST", "/v1/sync/reports", secret, summary);
        assertEquals(202, stored.statusCode(), stored.body());
        Map<?, ?> row = downstream(admin, deployment);
        assertEquals(tier, row.get("syncToken"));
        assertEquals(4, row.get("machines"));
        assertEquals(Map.of("applied", 3, "needs-check", 1), row.get("states"));
        assertEquals("summary", row.get("mode"));

        // bad bodies: JSON errors, nothing changed
        HttpResponse<String> raw = call("POST", "/v1/sync/reports", secret, JSON.writeValueAsString(Map.of("deploymentId", deployment,
                "mode", "machines", "reportId", "r2", "batch", 0, "machines", 1,
                "machineStates", List.of(Map.of("id", "0123456789abcdef0123456789abcdef", "tier", "edge", "state", "applied")))));
        assertEquals(400, raw.statusCode(), "a raw machine id is refused: " + raw.body());
        assertTrue(raw.body().contains("invalid-report"), raw.body());
        HttpResponse<String> malformed = call("POST", "/v1/sync/reports", secret, "{\"deploymentId\": ");
        assertEquals(400, malformed.statusCode(), malformed.body());
        assertTrue(malformed.body().contains("\"error\""), malformed.body());
        assertEquals(400, call("POST", "/v1/sync/reports", secret, summary.replace(deployment, "x")).statusCode(), "bad deployment id");
        HttpResponse<String> huge = call("POST", "/v1/sync/reports", secret, "{\"deploymentId\":\"" + "a".repeat(1_200_000) + "\"}");
        assertEquals(413, huge.statusCode());
        assertTrue(huge.body().contains("body-too-large"), huge.body());
        List<Map<String, Object>> many = new java.util.ArrayList<>();
        for (int i = 0; i < 5001; i++) {
            many.add(Map.of("id", String.format("%064x", i), "tier", "edge", "state", "applied"));
        }
        HttpResponse<String> tooMany = call("POST", "/v1/sync/reports", secret, JSON.writeValueAsString(Map.of("deploymentId", deployment,
                "mode", "machines", "reportId", "r3", "batch", 0, "machines", 5001, "machineStates", many)));
        assertEquals(413, tooMany.statusCode(), tooMany.body());
        assertEquals("summary", downstream(admin, deployment).get("mode"), "nothing stored by the refused reports");

        // machines mode with hashed ids: the machine states are listed by hash
        String hash = "ab".repeat(32);
        HttpResponse<String> machines = call("POST", "/v1/sync/reports", secret, JSON.writeValueAsString(Map.of("deploymentId", deployment,
                "mode", "machines", "reportId", "r4", "batch", 0, "machines", 1, "tiers", Map.of("edge", 1), "states", Map.of("applied", 1),
                "machineStates", List.of(Map.of("id", hash, "tier", "edge", "kernel", "5.15.0-91-generic", "state", "applied",
                        "patchVersion", 3)))));
        assertEquals(202, machines.statusCode(), machines.body());
        HttpResponse<String> shown = call("GET", "/v1/admin/downstreams/" + deployment, admin, null);
        assertEquals(200, shown.statusCode(), shown.body());
        assertTrue(shown.body().contains(hash) && shown.body().contains("\"machineStates\":1"), shown.body());
        assertEquals(401, call("GET", "/v1/admin/downstreams", secret, null).statusCode(), "a sync token cannot read the list");

        // a revoked token: refused
        assertEquals(200, call("POST", "/v1/admin/sync-tokens/" + token.get("id") + "/revoke", admin, "{}").statusCode());
        assertEquals(401, call("POST", "/v1/sync/reports", secret, summary).statusCode(), "revoked");
    }

    private Map<?, ?> downstream(String admin, String deployment) throws Exception {
        HttpResponse<String> list = call("GET", "/v1/admin/downstreams", admin, null);
        assertEquals(200, list.statusCode(), list.body());
        for (Object o : (List<?>) JSON.readValue(list.body(), Map.class).get("downstreams")) {
            if (deployment.equals(((Map<?, ?>) o).get("deploymentId"))) {
                return (Map<?, ?>) o;
            }
        }
        throw new AssertionError("deployment " + deployment + " not listed: " + list.body());
    }

    @Test
    void syncStatusAndTriggerAreAdminRoutesAndSayWhenSyncIsOff() throws Exception {
        String admin = adminToken();
        HttpResponse<String> status = call("GET", "/v1/admin/sync/status", admin, null);
        assertEquals(200, status.statusCode(), status.body());
        assertEquals("disabled", JSON.readValue(status.body(), Map.class).get("state"));
        HttpResponse<String> trigger = call("POST", "/v1/admin/sync/trigger", admin, "{}");
        assertEquals(409, trigger.statusCode(), trigger.body());
        assertTrue(trigger.body().contains("upstream.url"), trigger.body());
        assertEquals(401, call("GET", "/v1/admin/sync/status", null, null).statusCode());
    }

    private HttpResponse<String> call(String method, String path, String token, String json) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(20));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        b.header("Content-Type", "application/json").method(method,
                json == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(json));
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }
}
