package io.patchfleet.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import picocli.CommandLine;

/** {@code patchfleet admin rollout …} and {@code admin machine tags} against a JDK HTTP server standing in for the API. */
class RolloutCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    record Seen(String method, String path, String body) {}

    HttpServer server;
    String url;
    final List<Seen> seen = new CopyOnWriteArrayList<>();
    final Map<String, Object[]> answers = new HashMap<>();

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", this::answer);
        server.start();
        url = "http://127.0.0.1:" + server.getAddress().getPort();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    private void answer(HttpExchange ex) throws IOException {
        String body = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
        String path = ex.getRequestURI().getRawPath() + (ex.getRequestURI().getRawQuery() == null ? "" : "?" + ex.getRequestURI().getRawQuery());
        seen.add(new Seen(ex.getRequestMethod(), path, body));
        Object[] a = answers.getOrDefault(ex.getRequestMethod() + " " + ex.getRequestURI().getRawPath(),
                new Object[] {404, "{\"error\":{\"status\":404,\"code\":\"not-found\",\"message\":\"No patch version 9 for kernel x\"}}"});
        byte[] bytes = ((String) a[1]).getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().add("Content-Type", "application/json");
        ex.sendResponseHeaders((Integer) a[0], bytes.length);
        ex.getResponseBody().write(bytes);
        ex.close();
    }

    record Result(int code, String out, String err) {}

    private Result run(String... args) {
        CommandLine cl = new CommandLine(new AdminCommand(Map.of("PATCHFLEET_SERVER", url, "PATCHFLEET_ADMIN_TOKEN", "tok"), () -> null));
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int code = cl.execute(args);
        return new Result(code, out.toString(), err.toString());
    }

    @Test
    void statusShowsEachRolloutWithItsPoliciesAndTheHeldReasons() throws Exception {
        answers.put("GET /v1/admin/rollouts", new Object[] {200, """
                {"rollouts":[{"kernel":"6.1.0-56-amd64","architecture":"x86_64","build":"","version":3,"tier":"edge",
                "state":"halted","cause":"health gate: 3 of 20 machines crashed in the last 1h (15.0 %, limit 1 %)",
                "health":{"offered":40,"applied":17,"applyFailed":0,"crashed":3,"checkFailed":0},
                "policies":{"waves":"wave 2 of 3: 50 % exposed"}}],
                "tiers":[{"tier":"edge","policies":["tiers","healthgate","waves"],
                "held":{"maintenance window opens 2026-11-26 02:00 UTC":12}}]}"""});
        Result r = run("rollout", "status", "--tier", "edge");
        assertEquals(0, r.code(), r.err());
        assertEquals("/v1/admin/rollouts?tier=edge", seen.get(0).path());
        assertTrue(r.out().contains("halted"), r.out());
        assertTrue(r.out().contains("health gate: 3 of 20 machines crashed"), r.out());
        assertTrue(r.out().contains("waves: wave 2 of 3: 50 % exposed"), r.out());
        assertTrue(r.out().contains("12 held: maintenance window opens 2026-11-26 02:00 UTC"), r.out());

        Result json = run("rollout", "status", "--format", "json");
        assertEquals(3, ((Map<?, ?>) ((List<?>) JSON.readValue(json.out(), Map.class).get("rollouts")).get(0)).get("version"));
    }

    @Test
    void changesPostTheReleaseTierAndReason() throws Exception {
        for (String action : List.of("pause", "resume", "abort", "advance", "approve")) {
            answers.put("POST /v1/admin/rollouts/" + action, new Object[] {200, "{\"state\":\"paused\",\"changed\":true}"});
        }
        Result r = run("rollout", "abort", "6.1.0-56-amd64", "3", "edge", "--revert", "--reason", "bug 1234", "--arch", "x86_64");
        assertEquals(0, r.code(), r.err());
        assertEquals("/v1/admin/rollouts/abort", seen.get(0).path());
        assertEquals(Map.of("kernel", "6.1.0-56-amd64", "version", 3, "tier", "edge", "reason", "bug 1234",
                "architecture", "x86_64", "revert", true), JSON.readValue(seen.get(0).body(), Map.class));
        for (String action : List.of("pause", "resume", "advance", "approve")) {
            assertEquals(0, run("rollout", action, "6.1.0-56-amd64", "3", "edge").code(), action);
        }
        assertEquals(List.of("/v1/admin/rollouts/pause", "/v1/admin/rollouts/resume", "/v1/admin/rollouts/advance",
                "/v1/admin/rollouts/approve"), seen.subList(1, 5).stream().map(Seen::path).toList());

        answers.remove("POST /v1/admin/rollouts/pause"); // the stand-in answers 404 "No patch version 9 …"
        Result missing = run("rollout", "pause", "6.1.0-56-amd64", "9", "edge");
        assertEquals(ExitCodes.NOT_FOUND, missing.code());
        assertTrue(missing.err().contains("No patch version 9"), missing.err());
        assertEquals(ExitCodes.USAGE, run("rollout", "pause", "6.1.0-56-amd64").code(), "missing VERSION and TIER");
    }

    @Test
    void machineTagsReplacesTheTags() throws Exception {
        answers.put("PUT /v1/admin/machines/0123456789abcdef0123456789abcdef/tags",
                new Object[] {200, "{\"id\":\"0123456789abcdef0123456789abcdef\",\"tier\":\"edge\",\"tags\":[\"dc=fra1\",\"role:db\"]}"});
        Result r = run("machine", "tags", "0123456789abcdef0123456789abcdef", "role:db", "dc=fra1");
        assertEquals(0, r.code(), r.err());
        assertEquals("PUT", seen.get(0).method());
        assertEquals(Map.of("tags", List.of("role:db", "dc=fra1")), JSON.readValue(seen.get(0).body(), Map.class));
        assertTrue(r.out().contains("tags:") && r.out().contains("dc=fra1,role:db"), r.out());
    }
}
