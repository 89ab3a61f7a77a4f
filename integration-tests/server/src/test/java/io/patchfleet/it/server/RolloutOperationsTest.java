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
import java.time.Instant;
import java.util.ArrayList;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.osgi.framework.BundleContext;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.servlet.runtime.HttpServiceRuntime;
import org.osgi.test.common.annotation.InjectBundleContext;
import org.osgi.test.common.annotation.InjectService;
import org.osgi.test.common.service.ServiceAware;

import com.fasterxml.jackson.databind.ObjectMapper;

import io.patchfleet.model.KernelId;
import io.patchfleet.model.PatchRelease;
import io.patchfleet.model.Sha256;
import io.patchfleet.model.TierName;
import io.patchfleet.store.api.EnrollmentStore;
import io.patchfleet.store.api.PatchCatalog;
import io.patchfleet.store.api.TierStore;

/**
 * Rollouts on the real server: a health gate configured through Configuration Admin halts a
 * release that fails on machines (stored, audited, in the metrics and in {@code admin rollout
 * status}), machines then get the previous release, and an admin pauses, resumes, aborts,
 * approves and advances rollouts and sets machine tags over the admin API.
 */
class RolloutOperationsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final KernelId KERNEL = KernelId.of("6.1.0-78-amd64", "x86_64", "");

    @InjectBundleContext
    BundleContext context;

    @InjectService(timeout = 20_000)
    ConfigurationAdmin configAdmin;

    @InjectService(timeout = 20_000)
    PatchCatalog catalog;

    @InjectService(timeout = 20_000)
    TierStore tiers;

    @InjectService(timeout = 20_000)
    EnrollmentStore enrollment;

    @InjectService(timeout = 20_000)
    ServiceAware<HttpServiceRuntime> runtime;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private String base;
    private String tier;

    @Test
    void aHealthGateHaltsAFailingReleaseAndAdminsOperateRollouts() throws Exception {
        Object endpoint = runtime.getServiceReference().getProperty("osgi.http.endpoint");
        String url = endpoint instanceof String[] a ? a[0] : String.valueOf(endpoint);
        base = url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
        tier = "ops" + Long.toString(System.nanoTime() % 100000);
        TierName t = TierName.of(tier);
        tiers.create(t, tiers.tiers().size());
        for (long v = 1; v <= 2; v++) {
            catalog.add(new PatchRelease(KERNEL, v, "lkp_ops_" + v, "6.1.0-78-amd64/x86_64/lkp_ops_" + v + ".ko",
                    Sha256.digestOf(new byte[] {(byte) v, 78}), 100, List.of(), "ops test", Instant.now(), v - 1, false));
            catalog.promote(KERNEL, v, t);
        }
        Configuration gate = configAdmin.getFactoryConfiguration("io.patchfleet.rollout.healthgate", "ops-" + tier, "?");
        Hashtable<String, Object> props = new Hashtable<>();
        props.put("tiers", new String[] {tier});
        props.put("name", "ops-gate");
        props.put("window", "1h");
        props.put("min.sample", 5);
        props.put("max.apply.failed.percent", 10.0);
        gate.update(props);
        String admin = login();
        try {
            String token = enrollment.createToken(t, Instant.now().plusSeconds(600), 20, "ops", "it").secret();
            List<String[]> machines = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                machines.add(enroll(token, String.format("%032x", 0x0b5000L + i)));
            }
            // Given every machine is offered patch 2 (the gate may still be activating: wait for it in the chain).
            awaitStatus(admin, s -> s.contains("ops-gate"));
            for (String[] m : machines) {
                assertEquals("patch 2 awaits its publisher metadata on this server", checkIn(m, "nothing-to-apply"));
            }
            // When they report that applying it failed, the gate halts it once its minimum sample is reached.
            for (String[] m : machines) {
                checkIn(m, "apply-failed");
            }
            TimeUnit.MILLISECONDS.sleep(1100); // past the gate's one-second verdict cache
            assertEquals("patch 1 awaits its publisher metadata on this server", checkIn(machines.get(0), "apply-failed"),
                    "the halted release is withheld; the previous one is offered");
            Map<?, ?> v2 = awaitRollout(admin, 2, r -> "halted".equals(r.get("state")));
            assertTrue(String.valueOf(v2.get("cause")).matches("health gate: [5-8] of [5-8] machines failed to apply it in the last 1h .*"),
                    v2.toString());
            assertEquals(8, ((Number) ((Map<?, ?>) v2.get("health")).get("applyFailed")).intValue(), v2.toString());
            assertTrue(String.valueOf(((Map<?, ?>) v2.get("policies")).get("ops-gate")).startsWith("breached"), v2.toString());
            // The registry writes the halt's audit entry on its own thread: wait for it, bounded.
            long auditDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
            while (!auditActions(admin).contains("rollout.halt") && System.nanoTime() < auditDeadline) {
                TimeUnit.MILLISECONDS.sleep(100);
            }
            assertTrue(auditActions(admin).contains("rollout.halt"), "the halt is in the audit log");
            HttpResponse<String> metrics = http.send(HttpRequest.newBuilder(URI.create(base + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertTrue(metrics.body().contains("patchfleet_rollout_halts_total{by=\"gate\"}"), "halts in the metrics");

            // An admin resumes it: the gate counts afresh, machines get patch 2 again.
            Map<?, ?> resumed = change(admin, "resume", 2, null, 200);
            assertEquals("active", resumed.get("state"));
            assertEquals("patch 2 awaits its publisher metadata on this server", checkIn(machines.get(1), "nothing-to-apply"));

            // Pause 2 and abort 1: nothing is offered, and the held reason shows in status.
            assertTrue(String.valueOf(change(admin, "pause", 2, "bug 77", 200).get("cause")).endsWith(": bug 77"));
            Map<String, Object> abort = Map.of("kernel", KERNEL.release(), "version", 1, "tier", tier, "revert", true);
            assertEquals(200, post("/v1/admin/rollouts/abort", admin, abort).statusCode());
            String held = checkIn(machines.get(2), "nothing-to-apply");
            assertTrue(held.startsWith("held: rollout of patch 2 to tier " + tier + " is paused (paused by admin: bug 77)"), held);
            Map<?, ?> status = status(admin);
            Map<?, ?> tierRow = ((List<?>) status.get("tiers")).stream().map(o -> (Map<?, ?>) o)
                    .filter(r -> tier.equals(r.get("tier"))).findFirst().orElseThrow();
            assertTrue(((Map<?, ?>) tierRow.get("held")).keySet().stream().anyMatch(k -> String.valueOf(k).contains("bug 77")),
                    tierRow.toString());
            // ... and in the machine's own status and the machine list, from the store (held reasons per machine).
            String heldId = machines.get(2)[0];
            Map<?, ?> shownHeld = JSON.readValue(send("GET", "/v1/admin/machines/" + heldId, admin, null).body(), Map.class);
            Map<?, ?> decision = (Map<?, ?>) shownHeld.get("decision");
            assertEquals("hold", decision.get("outcome"), shownHeld.toString());
            assertTrue(String.valueOf(decision.get("reason")).startsWith("rollout of patch 2 to tier " + tier + " is paused"),
                    decision.toString());
            HttpResponse<String> list = send("GET", "/v1/admin/machines?tier=" + tier + "&held-reason=BUG%2077", admin, null);
            assertEquals(200, list.statusCode(), list.body());
            List<?> rows = (List<?>) JSON.readValue(list.body(), Map.class).get("machines");
            assertEquals(List.of(heldId), rows.stream().map(o -> ((Map<?, ?>) o).get("id")).toList(), list.body());
            assertTrue(String.valueOf(((Map<?, ?>) rows.get(0)).get("held")).contains("bug 77"), list.body());
            List<?> allHeld = (List<?>) JSON.readValue(send("GET", "/v1/admin/machines?tier=" + tier + "&held=true", admin, null)
                    .body(), Map.class).get("machines");
            assertTrue(allHeld.size() >= 1 && allHeld.stream().anyMatch(o -> heldId.equals(((Map<?, ?>) o).get("id"))),
                    allHeld.toString());
            assertEquals(400, send("GET", "/v1/admin/machines?held=maybe", admin, null).statusCode());

            // Approve and advance are recorded; a second approval changes nothing.
            assertEquals(true, change(admin, "approve", 2, null, 200).get("changed"));
            assertEquals(false, change(admin, "approve", 2, null, 200).get("changed"));
            change(admin, "advance", 2, null, 200);
            assertEquals(2, ((Number) change(admin, "advance", 2, null, 200).get("advancedSteps")).intValue());
            List<String> actions = auditActions(admin);
            for (String a : List.of("rollout.resume", "rollout.pause", "rollout.abort", "rollout.approve", "rollout.advance")) {
                assertTrue(actions.contains(a), a + " audited: " + actions);
            }

            // Bad input is a clear error.
            assertEquals(404, post("/v1/admin/rollouts/pause", admin, Map.of("kernel", KERNEL.release(), "version", 9, "tier", tier))
                    .statusCode());
            assertEquals(404, post("/v1/admin/rollouts/pause", admin, Map.of("kernel", KERNEL.release(), "version", 2, "tier", "nosuch"))
                    .statusCode());
            assertEquals(400, post("/v1/admin/rollouts/pause", admin, Map.of("kernel", KERNEL.release(), "tier", tier)).statusCode());
            assertEquals(401, post("/v1/admin/rollouts/pause", null, Map.of()).statusCode());

            // Tags: set, shown, refused when invalid.
            String id = machines.get(0)[0];
            HttpResponse<String> tagged = send("PUT", "/v1/admin/machines/" + id + "/tags", admin, Map.of("tags", List.of("role:db", "dc=fra1")));
            assertEquals(200, tagged.statusCode(), tagged.body());
            HttpResponse<String> shown = send("GET", "/v1/admin/machines/" + id, admin, null);
            assertTrue(shown.body().contains("role:db"), shown.body());
            assertEquals(400, send("PUT", "/v1/admin/machines/" + id + "/tags", admin, Map.of("tags", List.of("Not A Tag"))).statusCode());
        } finally {
            gate.delete();
        }
    }

    private String login() throws Exception {
        Path file = Path.of(context.getProperty("patchfleet.data")).resolve("initial-admin-password");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (true) {
            HttpResponse<String> r = post("/v1/admin/login", null, Map.of("user", "admin", "password",
                    Files.isRegularFile(file) ? Files.readString(file).strip() : ""));
            if (r.statusCode() == 200) {
                return (String) JSON.readValue(r.body(), Map.class).get("token");
            }
            assertTrue(System.nanoTime() < deadline, "admin login: " + r.statusCode() + " " + r.body());
            TimeUnit.MILLISECONDS.sleep(100);
        }
    }

    private String[] enroll(String token, String id) throws Exception {
        HttpResponse<String> r = post("/v1/enroll", null, Map.of("token", token, "machineId", id, "kernel", kernelJson(), "tags", List.of()));
        assertEquals(200, r.statusCode(), r.body());
        return new String[] {id, (String) JSON.readValue(r.body(), Map.class).get("credential")};
    }

    private String checkIn(String[] m, String state) throws Exception {
        HttpResponse<String> r = post("/v1/check-in", m[1], Map.of("machineId", m[0], "kernel", kernelJson(), "patchState", state,
                "patchVersion", 0, "clientVersion", "1.0.0", "bootTime", "2026-11-25T08:00:00Z", "uptimeSeconds", 3600,
                "events", List.of(), "trustedVersions", Map.of(), "directiveCounter", 0));
        assertEquals(200, r.statusCode(), r.body());
        return String.valueOf(JSON.readValue(r.body(), Map.class).get("reason"));
    }

    private Map<?, ?> status(String admin) throws Exception {
        HttpResponse<String> r = send("GET", "/v1/admin/rollouts?tier=" + tier, admin, null);
        assertEquals(200, r.statusCode(), r.body());
        return JSON.readValue(r.body(), Map.class);
    }

    private void awaitStatus(String admin, java.util.function.Predicate<String> condition) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!condition.test(send("GET", "/v1/admin/rollouts?tier=" + tier, admin, null).body())) {
            assertTrue(System.nanoTime() < deadline, "status condition within 20 s");
            TimeUnit.MILLISECONDS.sleep(50);
        }
    }

    private Map<?, ?> awaitRollout(String admin, long version, java.util.function.Predicate<Map<?, ?>> condition) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (true) {
            for (Object o : (List<?>) status(admin).get("rollouts")) {
                Map<?, ?> r = (Map<?, ?>) o;
                if (((Number) r.get("version")).longValue() == version && condition.test(r)) {
                    return r;
                }
            }
            assertTrue(System.nanoTime() < deadline, "rollout " + version + " condition within 20 s: " + status(admin));
            TimeUnit.MILLISECONDS.sleep(50);
        }
    }

    private Map<?, ?> change(String admin, String action, long version, String reason, int expected) throws Exception {
        Map<String, Object> body = new java.util.HashMap<>(Map.of("kernel", KERNEL.release(), "version", version, "tier", tier));
        if (reason != null) {
            body.put("reason", reason);
        }
        HttpResponse<String> r = post("/v1/admin/rollouts/" + action, admin, body);
        assertEquals(expected, r.statusCode(), r.body());
        return JSON.readValue(r.body(), Map.class);
    }

    private List<String> auditActions(String admin) throws Exception {
        List<String> out = new ArrayList<>();
        long after = 0;
        while (true) {
            HttpResponse<String> r = send("GET", "/v1/admin/audit?after=" + after + "&limit=1000", admin, null);
            Map<?, ?> page = JSON.readValue(r.body(), Map.class);
            List<?> entries = (List<?>) page.get("entries");
            entries.forEach(e -> out.add(String.valueOf(((Map<?, ?>) e).get("action"))));
            if (entries.size() < 1000) {
                return out;
            }
            after = ((Number) page.get("next")).longValue();
        }
    }

    private static Map<String, Object> kernelJson() {
        return Map.of("release", KERNEL.release(), "architecture", KERNEL.architecture(), "flavour", KERNEL.flavour(),
                "build", KERNEL.build());
    }

    private HttpResponse<String> post(String path, String token, Object body) throws Exception {
        return send("POST", path, token, body);
    }

    private HttpResponse<String> send(String method, String path, String token, Object body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(20))
                .header("Content-Type", "application/json")
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }
}
