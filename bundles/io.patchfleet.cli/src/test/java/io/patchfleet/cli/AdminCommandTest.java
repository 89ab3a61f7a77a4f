package io.patchfleet.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import picocli.CommandLine;

/** {@code patchfleet admin} against a JDK HTTP server standing in for the admin API. */
class AdminCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    record Seen(String method, String path, String authorization, String body) {}

    @TempDir
    Path config;

    HttpServer server;
    String url;
    final List<Seen> seen = new CopyOnWriteArrayList<>();
    final Map<String, Object[]> answers = new HashMap<>(); // "METHOD path" -> {status, body, headers...}

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", this::answer);
        server.start();
        url = "http://127.0.0.1:" + server.getAddress().getPort();
        answers.put("POST /v1/admin/login", new Object[] {200,
                "{\"token\":\"tok-123\",\"user\":\"ada\",\"role\":\"admin\",\"expiresAt\":\"2026-03-01T22:00:00Z\"}"});
        answers.put("GET /v1/admin/tiers", new Object[] {200,
                "{\"tiers\":[{\"name\":\"edge\",\"position\":0,\"machines\":3,\"patches\":2},"
                        + "{\"name\":\"stable\",\"position\":1,\"machines\":10,\"patches\":1}]}"});
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    private void answer(HttpExchange ex) throws IOException {
        String body = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
        String path = ex.getRequestURI().getRawPath() + (ex.getRequestURI().getRawQuery() == null ? "" : "?" + ex.getRequestURI().getRawQuery());
        seen.add(new Seen(ex.getRequestMethod(), path, ex.getRequestHeaders().getFirst("Authorization"), body));
        Object[] a = answers.getOrDefault(ex.getRequestMethod() + " " + ex.getRequestURI().getRawPath(),
                new Object[] {404, "{\"error\":{\"status\":404,\"code\":\"not-found\",\"message\":\"No route\"}}"});
        byte[] bytes = ((String) a[1]).getBytes(StandardCharsets.UTF_8);
        for (int i = 2; i + 1 < a.length; i += 2) {
            ex.getResponseHeaders().add((String) a[i], (String) a[i + 1]);
        }
        ex.getResponseHeaders().add("Content-Type", "application/json");
        ex.sendResponseHeaders((Integer) a[0], bytes.length == 0 ? -1 : bytes.length);
        if (bytes.length > 0) {
            ex.getResponseBody().write(bytes);
        }
        ex.close();
    }

    record Result(int code, String out, String err) {}

    private Result run(Map<String, String> extraEnv, String... args) {
        Map<String, String> env = new HashMap<>(Map.of("XDG_CONFIG_HOME", config.toString(), "HOME", config.toString()));
        env.putAll(extraEnv);
        CommandLine cl = new CommandLine(new AdminCommand(env, () -> null));
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int code = cl.execute(args);
        return new Result(code, out.toString(), err.toString());
    }

    private Result run(String... args) {
        return run(Map.of(), args);
    }

    private Result login() {
        return run(Map.of("PATCHFLEET_ADMIN_PASSWORD", "secret-password"), "login", "--server", url, "--user", "ada");
    }

    @Test
    void loginStoresAnOwnerOnlySessionAndLaterVerbsUseIt() throws Exception {
        Result r = login();
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("Logged in to " + url + " as ada (admin)"), r.out());
        assertEquals(Map.of("user", "ada", "password", "secret-password"), JSON.readValue(seen.get(0).body(), Map.class));
        assertEquals(null, seen.get(0).authorization());

        Path file = config.resolve("patchfleet/admin.json");
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file.getParent())));
        Map<?, ?> stored = JSON.readValue(file.toFile(), Map.class);
        assertEquals(url, stored.get("server"));
        assertEquals("tok-123", stored.get("token"));
        assertEquals("2026-03-01T22:00:00Z", stored.get("expiresAt"));

        Result tiers = run("tier", "list");
        assertEquals(0, tiers.code(), tiers.err());
        assertEquals("Bearer tok-123", seen.get(1).authorization());
        assertTrue(tiers.out().startsWith("NAME  "), tiers.out());
        assertTrue(tiers.out().contains("stable  1"), tiers.out());

        Result json = run("tier", "list", "--format", "json");
        assertEquals(2, ((List<?>) JSON.readValue(json.out(), Map.class).get("tiers")).size());
        Result yaml = run("tier", "list", "--format", "yaml");
        assertTrue(yaml.out().contains("- name: edge"), yaml.out());
    }

    @Test
    void theStoredTokenIsNeverSentToAnotherServerButTheEnvironmentTokenIs() {
        login();
        run("tier", "list", "--server", "http://127.0.0.1:" + server.getAddress().getPort() + "/");
        assertEquals("Bearer tok-123", seen.get(seen.size() - 1).authorization(), "same server, trailing slash");
        try {
            HttpServer other = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
            List<String> auth = new CopyOnWriteArrayList<>();
            other.createContext("/", ex -> {
                auth.add(String.valueOf(ex.getRequestHeaders().getFirst("Authorization")));
                ex.sendResponseHeaders(401, -1);
                ex.close();
            });
            other.start();
            try {
                Result r = run("tier", "list", "--server", "http://127.0.0.1:" + other.getAddress().getPort());
                assertEquals(ExitCodes.NOT_LOGGED_IN, r.code());
                assertTrue(r.err().contains("Not logged in"), r.err());
                assertEquals(List.of("null"), auth);
                run(Map.of("PATCHFLEET_ADMIN_TOKEN", "env-token"), "tier", "list", "--server",
                        "http://127.0.0.1:" + other.getAddress().getPort());
                assertEquals("Bearer env-token", auth.get(1));
            } finally {
                other.stop(0);
            }
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void httpErrorsBecomeDocumentedExitCodesWithTheServersMessage() {
        login();
        answers.put("GET /v1/admin/users", new Object[] {403, "{\"error\":{\"status\":403,\"code\":\"forbidden\",\"message\":\"This route needs the role admin\"}}"});
        answers.put("POST /v1/admin/tiers", new Object[] {409, "{\"error\":{\"status\":409,\"code\":\"conflict\",\"message\":\"tier x exists\"}}"});
        answers.put("PUT /v1/admin/tiers", new Object[] {400, "{\"error\":{\"status\":400,\"code\":\"invalid-argument\",\"message\":\"order must list every tier\"}}"});
        answers.put("GET /v1/admin/audit", new Object[] {401, "{\"error\":{\"status\":401,\"code\":\"unauthorized\",\"message\":\"expired\"}}"});
        answers.put("POST /v1/admin/patches/promote", new Object[] {429, "{\"error\":{\"status\":429,\"code\":\"locked-out\",\"message\":\"slow down\"}}", "Retry-After", "30"});

        Result forbidden = run("user", "list");
        assertEquals(ExitCodes.NOT_LOGGED_IN, forbidden.code());
        assertTrue(forbidden.err().contains("This route needs the role admin"), forbidden.err());
        Result missing = run("machine", "show", "abc");
        assertEquals(ExitCodes.NOT_FOUND, missing.code());
        assertTrue(missing.err().contains("Not found"), missing.err());
        Result conflict = run("tier", "add", "x");
        assertEquals(ExitCodes.CONFLICT, conflict.code());
        assertTrue(conflict.err().contains("tier x exists"), conflict.err());
        assertEquals(ExitCodes.USAGE, run("tier", "order", "edge").code());
        Result expired = run("audit");
        assertEquals(ExitCodes.NOT_LOGGED_IN, expired.code());
        assertTrue(expired.err().contains("patchfleet admin login"), expired.err());
        Result limited = run("patch", "promote", "5.15.0-91-generic", "3", "beta");
        assertEquals(ExitCodes.FAILED, limited.code());
        assertTrue(limited.err().contains("retry after 30 s"), limited.err());
    }

    @Test
    void verbsSendTheRightRequests() throws Exception {
        login();
        answers.put("POST /v1/admin/patches/promote", new Object[] {200, "{\"kernel\":\"5.15.0-91-generic\",\"version\":3,\"changed\":true}"});
        answers.put("GET /v1/admin/machines", new Object[] {200, "{\"machines\":[{\"id\":\"m1\",\"tier\":\"edge\",\"tags\":[]}],\"offset\":0,\"limit\":100,\"total\":5}"});
        answers.put("POST /v1/admin/tokens", new Object[] {201, "{\"id\":\"t1\",\"secret\":\"s3cr3t\"}"});
        answers.put("GET /v1/admin/audit", new Object[] {200, "{\"entries\":[{\"id\":7,\"time\":\"t\",\"actor\":\"ada\",\"action\":\"tier.create\",\"target\":\"x\",\"before\":\"\",\"after\":\"[]\"}],\"next\":7}"});

        assertEquals(0, run("patch", "promote", "5.15.0-91-generic", "3", "beta", "--arch", "aarch64").code());
        assertEquals(Map.of("kernel", "5.15.0-91-generic", "version", 3, "tier", "beta", "architecture", "aarch64"),
                JSON.readValue(last().body(), Map.class));

        Result machines = run("machine", "list", "--tier", "edge", "--state", "apply-failed", "--seen-before", "2d");
        assertEquals("/v1/admin/machines?tier=edge&state=apply-failed&seen-before=2d&offset=0&limit=100", last().path());
        assertTrue(machines.out().contains("(1 of 5; page with --offset and --limit)"), machines.out());

        Result token = run("token", "create", "edge", "--expires-in", "7d", "--max-uses", "10");
        assertEquals(Map.of("tier", "edge", "expiresIn", "7d", "maxUses", 10, "description", ""), JSON.readValue(last().body(), Map.class));
        assertTrue(token.out().contains("secret: s3cr3t"), token.out());

        Result audit = run("audit", "--after", "6", "--limit", "5");
        assertEquals("/v1/admin/audit?after=6&limit=5", last().path());
        assertTrue(audit.out().contains("tier.create"), audit.out());
        assertFalse(audit.out().contains("BEFORE"), "before/after only in json or yaml");
    }

    @Test
    void keepShowAndDownstreamVerbsSendTheRightRequestsAndShowTheWarningMarker() throws Exception {
        login();
        answers.put("POST /v1/admin/patches/keep", new Object[] {200, "{\"kernel\":\"5.15.0-91-generic\",\"version\":3,"
                + "\"state\":\"enabled (!)\",\"upstreamWithdrawn\":true,\"keptBy\":\"ada\",\"changed\":true}"});
        answers.put("POST /v1/admin/patches/unkeep", new Object[] {200, "{\"state\":\"blocked\",\"changed\":true}"});
        answers.put("GET /v1/admin/patches/show", new Object[] {200, "{\"kernel\":\"5.15.0-91-generic\",\"version\":3,"
                + "\"state\":\"enabled (!)\",\"upstreamWithdrawn\":true}"});
        answers.put("GET /v1/admin/patches", new Object[] {200, "{\"patches\":[{\"kernel\":\"5.15.0-91-generic\",\"architecture\":\"x86_64\","
                + "\"version\":3,\"promotedTo\":\"edge\",\"state\":\"enabled (!)\",\"revoked\":false}],\"offset\":0,\"limit\":100,\"total\":1}"});
        answers.put("GET /v1/admin/downstreams", new Object[] {200, "{\"downstreams\":[{\"deploymentId\":\"3f1c2d9e-5b7a\",\"syncToken\":\"dc-east\","
                + "\"mode\":\"summary\",\"lastReportAt\":\"2026-03-01T10:00:00Z\",\"machines\":4,\"states\":{\"applied\":3,\"needs-check\":1}}],\"total\":1}"});
        answers.put("GET /v1/admin/reports/patch-health", new Object[] {200, "{\"health\":[{\"tier\":\"edge\",\"patchVersion\":3,"
                + "\"state\":\"applied\",\"machines\":2}],\"machines\":2,\"upstreamWithdrawn\":[{\"kernel\":\"5.15.0-91-generic\","
                + "\"architecture\":\"x86_64\",\"version\":3,\"upstreamWithdrawnAt\":\"2026-03-01T10:00:00Z\",\"keptBy\":\"ada\",\"machines\":2}]}"});

        Result keep = run("patch", "keep", "5.15.0-91-generic", "3", "--reason", "vendor case 1234");
        assertEquals(0, keep.code(), keep.err());
        assertEquals(Map.of("kernel", "5.15.0-91-generic", "version", 3, "reason", "vendor case 1234"), JSON.readValue(last().body(), Map.class));
        assertTrue(keep.out().contains("enabled (!)"), keep.out());
        assertEquals(0, run("patch", "unkeep", "5.15.0-91-generic", "3", "--arch", "x86_64").code());
        assertEquals(Map.of("kernel", "5.15.0-91-generic", "version", 3, "architecture", "x86_64"), JSON.readValue(last().body(), Map.class));
        assertEquals(0, run("patch", "show", "5.15.0-91-generic", "3").code());
        assertEquals("/v1/admin/patches/show?kernel=5.15.0-91-generic&version=3", last().path());
        Result list = run("patch", "list");
        assertTrue(list.out().contains("enabled (!)"), "the table marks a kept withdrawn patch: " + list.out());
        Result downstreams = run("downstream", "list");
        assertEquals("/v1/admin/downstreams", last().path());
        assertTrue(downstreams.out().contains("applied=3 needs-check=1") && downstreams.out().contains("dc-east"), downstreams.out());
        Result health = run("report", "patch-health");
        assertTrue(health.out().contains("enabled (!) 5.15.0-91-generic x86_64 v3"), health.out());
    }

    @Test
    void logoutEndsTheSessionAndDeletesTheFileEvenWhenTheServerForgotIt() {
        login();
        answers.put("POST /v1/admin/logout", new Object[] {401, "{\"error\":{\"status\":401,\"code\":\"unauthorized\",\"message\":\"gone\"}}"});
        assertEquals(0, run("logout").code());
        assertFalse(Files.exists(config.resolve("patchfleet/admin.json")));
        Result after = run("tier", "list", "--server", url);
        assertEquals(null, last().authorization());
        assertEquals(0, after.code(), "the stub answers without checking");
    }

    @Test
    void loginWithoutATerminalOrPasswordIsAUsageErrorAndAPasswordFileWorks() throws Exception {
        Result r = run("login", "--server", url);
        assertEquals(ExitCodes.USAGE, r.code());
        assertTrue(r.err().contains("PATCHFLEET_ADMIN_PASSWORD"), r.err());
        Path pw = config.resolve("pw");
        Files.writeString(pw, "from-a-file\nignored\n");
        assertEquals(0, run("login", "--server", url, "--password-file", pw.toString()).code());
        assertEquals(Map.of("user", "admin", "password", "from-a-file"), JSON.readValue(last().body(), Map.class));
    }

    @Test
    void aServerThatIsNotThereIsAClearFailure() throws IOException {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Result r = run(Map.of("PATCHFLEET_SERVER", "http://127.0.0.1:" + port, "PATCHFLEET_ADMIN_TOKEN", "x"), "tier", "list");
        assertEquals(ExitCodes.FAILED, r.code());
        assertTrue(r.err().contains("connection refused"), r.err());
    }

    @Test
    void everyVerbHasHelpWithAnExample() {
        CommandLine cl = new CommandLine(new AdminCommand(Map.of(), () -> null));
        int checked = 0;
        for (CommandLine group : cl.getSubcommands().values()) {
            List<CommandLine> leaves = leaves(group);
            for (CommandLine leaf : leaves) {
                String usage = leaf.getUsageMessage();
                assertTrue(usage.contains("Example"), leaf.getCommandSpec().qualifiedName() + ":\n" + usage);
                assertTrue(usage.contains("--help"), usage);
                if (!leaf.getCommandName().equals("logout") && !leaf.getCommandName().equals("login")) {
                    assertTrue(usage.contains("--format"), leaf.getCommandSpec().qualifiedName());
                }
                checked++;
            }
        }
        assertTrue(checked >= 20, "verbs " + checked);
        assertTrue(cl.getUsageMessage().contains("not found (404)"), cl.getUsageMessage());
    }

    /** The verbs under a group, through nested groups such as {@code plugin config}. */
    private static List<CommandLine> leaves(CommandLine c) {
        if (c.getSubcommands().isEmpty()) {
            return List.of(c);
        }
        return c.getSubcommands().values().stream().filter(s -> !s.getCommandName().equals("help"))
                .flatMap(s -> leaves(s).stream()).toList();
    }

    private Seen last() {
        return seen.get(seen.size() - 1);
    }
}
