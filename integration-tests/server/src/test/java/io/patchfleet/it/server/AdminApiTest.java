package io.patchfleet.it.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;
import org.osgi.service.servlet.runtime.HttpServiceRuntime;
import org.osgi.test.common.annotation.InjectBundleContext;
import org.osgi.test.common.annotation.InjectService;
import org.osgi.test.common.service.ServiceAware;

import com.fasterxml.jackson.databind.ObjectMapper;

import io.patchfleet.server.api.ApiRequest;
import io.patchfleet.server.api.Authenticator;
import io.patchfleet.server.api.Principal;
import io.patchfleet.server.api.Route;
import io.patchfleet.server.api.Scope;
import jakarta.servlet.Servlet;

/**
 * The admin API of the server profile over its real port: the first admin's password file,
 * logins, lockout, and a walk of every admin route with no, wrong-scope, too-weak and right
 * credentials. Names are unique per run, so the tests pass again on a kept data directory.
 */
class AdminApiTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration TIMEOUT = Duration.ofSeconds(20);
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
        ServerProfileTest.await(() -> post("/v1/admin/login", null, "{}"), r -> r.statusCode() != 404);
    }

    private static String unique(String prefix) {
        return prefix + "-" + SEQ.incrementAndGet();
    }

    private Path initialPasswordFile() {
        return Path.of(context.getProperty("patchfleet.data")).resolve("initial-admin-password");
    }

    private String adminToken() throws Exception {
        return login("admin", Files.readString(initialPasswordFile()).strip());
    }

    private String login(String user, String password) throws Exception {
        HttpResponse<String> r = post("/v1/admin/login", null, JSON.writeValueAsString(Map.of("user", user, "password", password)));
        assertEquals(200, r.statusCode(), r.body());
        return (String) JSON.readValue(r.body(), Map.class).get("token");
    }

    /** Creates a user through the API and returns a token of it. */
    private String userToken(String admin, String role) throws Exception {
        String name = unique("it-" + role);
        String password = "pw-" + name + "-long-enough";
        HttpResponse<String> created = post("/v1/admin/users", admin,
                JSON.writeValueAsString(Map.of("name", name, "role", role, "password", password)));
        assertEquals(201, created.statusCode(), created.body());
        return login(name, password);
    }

    @Test
    void theFirstStartWroteAnOwnerOnlyPasswordFileThatLogsInAsAdmin() throws Exception {
        Path file = initialPasswordFile();
        assertTrue(Files.isRegularFile(file), "initial password file " + file);
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        HttpResponse<String> r = post("/v1/admin/login", null,
                JSON.writeValueAsString(Map.of("user", "admin", "password", Files.readString(file).strip())));
        assertEquals(200, r.statusCode(), r.body());
        Map<?, ?> body = JSON.readValue(r.body(), Map.class);
        assertEquals("admin", body.get("role"));
        assertEquals(43, ((String) body.get("token")).length());
        assertNotNull(body.get("expiresAt"));

        HttpResponse<String> session = get("/v1/admin/session", (String) body.get("token"));
        assertEquals(200, session.statusCode(), session.body());
        assertEquals(List.of("admin", "operator", "auditor"), JSON.readValue(session.body(), Map.class).get("roles"));
    }

    @Test
    void aWrongPasswordAndAnUnknownUserGetTheSame401() throws Exception {
        HttpResponse<String> wrong = post("/v1/admin/login", null, "{\"user\":\"admin\",\"password\":\"not-the-password\"}");
        HttpResponse<String> unknown = post("/v1/admin/login", null, "{\"user\":\"" + unique("nobody") + "\",\"password\":\"x-password\"}");
        assertEquals(401, wrong.statusCode());
        assertEquals(401, unknown.statusCode());
        assertEquals(error(wrong), error(unknown));
        assertEquals("invalid-credentials", error(wrong).get("code"));
        assertEquals(400, post("/v1/admin/login", null, "{\"user\":\"admin\"}").statusCode(), "missing password");
        assertEquals(400, post("/v1/admin/login", null, "{\"user\":").statusCode(), "malformed JSON");
    }

    @Test
    void fiveFailedLoginsLockTheUserWith429AndRetryAfter() throws Exception {
        String admin = adminToken();
        String name = unique("it-lock");
        String password = "pw-" + name + "-long-enough";
        assertEquals(201, post("/v1/admin/users", admin,
                JSON.writeValueAsString(Map.of("name", name, "role", "auditor", "password", password))).statusCode());
        for (int i = 0; i < 5; i++) {
            assertEquals(401, post("/v1/admin/login", null,
                    JSON.writeValueAsString(Map.of("user", name, "password", "wrong-" + i))).statusCode());
        }
        HttpResponse<String> locked = post("/v1/admin/login", null,
                JSON.writeValueAsString(Map.of("user", name, "password", password)));
        assertEquals(429, locked.statusCode(), "locked even with the right password: " + locked.body());
        assertEquals("locked-out", error(locked).get("code"));
        long retryAfter = Long.parseLong(locked.headers().firstValue("Retry-After").orElseThrow());
        assertTrue(retryAfter > 0 && retryAfter <= 901, "Retry-After " + retryAfter);

        // An admin resetting the password lifts the lock.
        assertEquals(200, post("/v1/admin/users/" + name + "/password", admin,
                JSON.writeValueAsString(Map.of("password", password + "-2"))).statusCode());
        login(name, password + "-2");
    }

    @Test
    void changesAreAuditedWithActorAndBeforeAndAfter() throws Exception {
        String admin = adminToken();
        String operator = userToken(admin, "operator");
        String tier = unique("it-tier");
        HttpResponse<String> created = post("/v1/admin/tiers", operator, "{\"name\":\"" + tier + "\"}");
        assertEquals(201, created.statusCode(), created.body());
        assertEquals(409, post("/v1/admin/tiers", operator, "{\"name\":\"" + tier + "\"}").statusCode(), "exists");
        HttpResponse<String> token = post("/v1/admin/tokens", operator,
                "{\"tier\":\"" + tier + "\",\"expiresIn\":\"2h\",\"maxUses\":3,\"description\":\"it\"}");
        assertEquals(201, token.statusCode(), token.body());
        Map<?, ?> issued = JSON.readValue(token.body(), Map.class);
        assertEquals(43, ((String) issued.get("secret")).length(), "secret shown once");
        HttpResponse<String> listed = get("/v1/admin/tokens", operator);
        assertFalse(listed.body().contains((String) issued.get("secret")), "never listed again");
        assertEquals(409, delete("/v1/admin/tiers/" + tier, operator).statusCode(), "a tier with tokens stays");
        assertEquals(200, post("/v1/admin/tokens/" + issued.get("id") + "/revoke", operator, "").statusCode());

        Map<?, ?> audit = JSON.readValue(get("/v1/admin/audit?limit=1000", operator).body(), Map.class);
        long next = ((Number) audit.get("next")).longValue();
        List<Map<?, ?>> entries = new ArrayList<>();
        ((List<?>) audit.get("entries")).forEach(e -> entries.add((Map<?, ?>) e));
        while (entries.size() % 1000 == 0 && !entries.isEmpty()) {
            Map<?, ?> more = JSON.readValue(get("/v1/admin/audit?limit=1000&after=" + next, operator).body(), Map.class);
            if (((List<?>) more.get("entries")).isEmpty()) {
                break;
            }
            ((List<?>) more.get("entries")).forEach(e -> entries.add((Map<?, ?>) e));
            next = ((Number) more.get("next")).longValue();
        }
        Map<?, ?> tierCreate = entries.stream().filter(e -> "tier.create".equals(e.get("action")) && tier.equals(e.get("target")))
                .findFirst().orElseThrow();
        assertTrue(String.valueOf(tierCreate.get("actor")).startsWith("it-operator-"));
        assertFalse(String.valueOf(tierCreate.get("before")).contains(tier));
        assertTrue(String.valueOf(tierCreate.get("after")).contains(tier));
        assertTrue(entries.stream().anyMatch(e -> "token.create".equals(e.get("action")) && issued.get("id").equals(e.get("target"))
                && !String.valueOf(e.get("after")).contains((String) issued.get("secret"))), "token audited without its secret");
        assertTrue(entries.stream().anyMatch(e -> "token.revoke".equals(e.get("action"))));
        assertTrue(entries.stream().anyMatch(e -> "user.create".equals(e.get("action")) && "admin".equals(e.get("actor"))));
    }

    @Test
    void aRoleChangeEndsTheUsersSessions() throws Exception {
        String admin = adminToken();
        String name = unique("it-demote");
        String password = "pw-" + name + "-long-enough";
        post("/v1/admin/users", admin, JSON.writeValueAsString(Map.of("name", name, "role", "operator", "password", password)));
        String token = login(name, password);
        assertEquals(200, get("/v1/admin/session", token).statusCode());
        assertEquals(200, put("/v1/admin/users/" + name + "/role", admin, "{\"role\":\"auditor\"}").statusCode());
        assertEquals(401, get("/v1/admin/session", token).statusCode(), "the old token carried the old role");
        assertEquals(403, post("/v1/admin/tiers", login(name, password), "{\"name\":\"x\"}").statusCode());
    }

    /** DESIGN §5: a test walks every route with no, wrong-scope and right credentials. */
    @Test
    void everyAdminRouteRefusesMissingAndForeignCredentialsAndEnforcesRoles() throws Exception {
        String admin = adminToken();
        Map<String, String> tokens = Map.of("admin", admin, "operator", userToken(admin, "operator"),
                "auditor", userToken(admin, "auditor"));
        Authenticator machines = new Authenticator() {
            @Override
            public Scope scope() {
                return Scope.MACHINE;
            }

            @Override
            public Optional<Principal> authenticate(String authorization, ApiRequest request) {
                return "Bearer it-machine-credential".equals(authorization)
                        ? Optional.of(new Principal("it-machine", Scope.MACHINE, Set.of()))
                        : Optional.empty();
            }
        };
        var registration = context.registerService(Authenticator.class, machines, null);
        try {
            List<Route> routes = new ArrayList<>();
            for (ServiceReference<Route> ref : context.getServiceReferences(Route.class, null)) {
                Route route = context.getService(ref);
                if (route != null && route.scope() == Scope.ADMIN && !route.path().startsWith("/v1/it/")) {
                    routes.add(route);
                }
            }
            assertTrue(routes.size() >= 23, "admin routes registered: " + routes.size());
            for (Route route : routes) {
                String path = route.path().replaceAll("\\{[^}]+}", "it-walk-none");
                String what = route.method() + " " + route.path();
                assertEquals(401, call(route.method(), path, null).statusCode(), what + " without credentials");
                assertEquals(401, callRaw(route.method(), path, "Bearer it-machine-credential").statusCode(),
                        what + " with a machine credential");
                assertEquals(401, callRaw(route.method(), path, "Bearer " + "x".repeat(43)).statusCode(), what + " with a made-up token");
                Set<String> roles = route.roles();
                if (!roles.isEmpty() && !roles.contains("auditor")) {
                    HttpResponse<String> weak = call(route.method(), path, tokens.get("auditor"));
                    assertEquals(403, weak.statusCode(), what + " as auditor: " + weak.body());
                }
                String role = roles.isEmpty() || roles.contains("auditor") ? "auditor"
                        : roles.contains("operator") ? "operator" : "admin";
                String token = route.path().equals("/v1/admin/logout") ? userToken(admin, "auditor") : tokens.get(role);
                HttpResponse<String> right = call(route.method(), path, token);
                assertNotEquals(401, right.statusCode(), what + " as " + role + ": " + right.body());
                assertNotEquals(403, right.statusCode(), what + " as " + role + ": " + right.body());
                assertTrue(right.statusCode() < 500, what + " as " + role + ": " + right.body());
            }
        } finally {
            registration.unregister();
        }
    }

    // ---- HTTP

    private HttpResponse<String> call(String method, String path, String token) throws Exception {
        return callRaw(method, path, token == null ? null : "Bearer " + token);
    }

    private HttpResponse<String> callRaw(String method, String path, String authorization) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(TIMEOUT);
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        boolean body = method.equals("POST") || method.equals("PUT");
        b.header("Content-Type", "application/json")
                .method(method, body ? HttpRequest.BodyPublishers.ofString("{}") : HttpRequest.BodyPublishers.noBody());
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> get(String path, String token) throws Exception {
        return call("GET", path, token);
    }

    private HttpResponse<String> delete(String path, String token) throws Exception {
        return call("DELETE", path, token);
    }

    private HttpResponse<String> post(String path, String token, String json) throws Exception {
        return send("POST", path, token, json);
    }

    private HttpResponse<String> put(String path, String token, String json) throws Exception {
        return send("PUT", path, token, json);
    }

    private HttpResponse<String> send(String method, String path, String token, String json) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(TIMEOUT)
                .header("Content-Type", "application/json")
                .method(method, json.isEmpty() ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(json));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static Map<?, ?> error(HttpResponse<String> response) throws Exception {
        return (Map<?, ?>) JSON.readValue(response.body(), Map.class).get("error");
    }
}
