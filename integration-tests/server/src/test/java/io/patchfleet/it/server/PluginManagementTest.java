package io.patchfleet.it.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.servlet.runtime.HttpServiceRuntime;
import org.osgi.test.common.annotation.InjectBundleContext;
import org.osgi.test.common.annotation.InjectService;
import org.osgi.test.common.service.ServiceAware;

import com.fasterxml.jackson.databind.ObjectMapper;

import io.patchfleet.it.server.fixtures.PluginBundles;
import io.patchfleet.it.server.fixtures.TestBundles;
import io.patchfleet.platform.admin.PluginManager;
import io.patchfleet.platform.admin.PluginSignature;
import jakarta.servlet.Servlet;

/**
 * Runtime management of the server profile over its real admin API: signed plugins only
 * (unsigned, tampered and foreign-key jars refused), transactional install and update that roll
 * back on a missing package, a failing component or an update that unsatisfies another bundle's
 * component; configuration checked against the metatype; every change in the audit log.
 */
class PluginManagementTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    private static KeyPair trusted;
    private static KeyPair stranger;

    @InjectBundleContext
    BundleContext context;

    @InjectService(timeout = 20_000)
    ServiceAware<HttpServiceRuntime> runtime;

    @InjectService(filter = "(patchfleet.ready=http)", timeout = 20_000)
    ServiceAware<Servlet> router;

    @InjectService(timeout = 20_000)
    PluginManager plugins;

    @InjectService(timeout = 20_000)
    ConfigurationAdmin cm;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private String base;
    private String admin;

    @BeforeAll
    static void keys() throws Exception {
        trusted = PluginSignature.generateKeyPair();
        stranger = PluginSignature.generateKeyPair();
    }

    @BeforeEach
    void setUp() throws Exception {
        Object endpoint = runtime.getServiceReference().getProperty("osgi.http.endpoint");
        String url = endpoint instanceof String[] a ? a[0] : endpoint instanceof List<?> l ? String.valueOf(l.get(0)) : String.valueOf(endpoint);
        base = url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
        ServerProfileTest.await(() -> call("POST", "/v1/admin/login", null, "{}"), r -> r.statusCode() != 404);
        Path trust = Path.of(context.getProperty("patchfleet.data")).resolve("etc").resolve("plugin-trust");
        Files.createDirectories(trust);
        Files.writeString(trust.resolve("it-signer.pub"), PluginSignature.pem(trusted.getPublic()));
        Path password = Path.of(context.getProperty("patchfleet.data")).resolve("initial-admin-password");
        HttpResponse<String> login = call("POST", "/v1/admin/login", null,
                JSON.writeValueAsString(Map.of("user", "admin", "password", Files.readString(password).strip())));
        assertEquals(200, login.statusCode(), login.body());
        admin = (String) JSON.readValue(login.body(), Map.class).get("token");
    }

    @AfterEach
    void removeTestBundles() throws Exception {
        for (Bundle b : context.getBundles()) {
            if (List.of("io.patchfleet.it.answer", PluginBundles.PROVIDER, PluginBundles.CONSUMER).contains(b.getSymbolicName())) {
                b.uninstall();
            }
        }
    }

    @Test
    void aSignedPluginIsInstalledUpdatedListedWithItsSignerAndUninstalled() throws Exception {
        HttpResponse<String> installed = upload("POST", "/v1/admin/plugins", TestBundles.answerBundle("1.0.0", "one"), trusted);
        assertEquals(201, installed.statusCode(), installed.body());
        Map<?, ?> info = JSON.readValue(installed.body(), Map.class);
        assertEquals("io.patchfleet.it.answer", info.get("symbolicName"));
        assertEquals("ACTIVE", info.get("state"));
        assertEquals("it-signer", info.get("signer"));
        assertTrue(((List<?>) info.get("services")).contains("io.patchfleet.server.api.Route"), installed.body());
        assertEquals("one", answer());

        HttpResponse<String> updated = upload("PUT", "/v1/admin/plugins/io.patchfleet.it.answer", TestBundles.answerBundle("1.1.0", "two"), trusted);
        assertEquals(200, updated.statusCode(), updated.body());
        assertEquals("1.1.0", JSON.readValue(updated.body(), Map.class).get("version"));
        assertEquals("two", answer());

        HttpResponse<String> list = call("GET", "/v1/admin/plugins", admin, null);
        assertEquals(200, list.statusCode());
        Map<?, ?> row = plugin(list, "io.patchfleet.it.answer");
        assertEquals("it-signer", row.get("signer"));
        // Profile bundles: "distribution" under the launcher; this test framework installs them by file ("unknown").
        assertTrue(List.of("distribution", "unknown").contains(plugin(list, "io.patchfleet.server.machines").get("signer")), list.body());
        assertFalse(((List<?>) plugin(list, "io.patchfleet.server.machines").get("services")).isEmpty());

        HttpResponse<String> removed = call("DELETE", "/v1/admin/plugins/io.patchfleet.it.answer", admin, null);
        assertEquals(200, removed.statusCode(), removed.body());
        ServerProfileTest.await(() -> call("GET", "/v1/it/answer", null, null), r -> r.statusCode() == 404);

        String audit = call("GET", "/v1/admin/audit?limit=1000", admin, null).body();
        for (String action : List.of("plugin.install", "plugin.update", "plugin.uninstall")) {
            assertTrue(audit.contains("\"" + action + "\""), action + " audited: " + audit);
        }
        assertTrue(audit.contains("\\\"version\\\":\\\"1.0.0\\\"") || audit.contains("1.0.0"), audit);
    }

    @Test
    void unsignedTamperedAndForeignKeyJarsAreRefusedAndNothingIsInstalled() throws Exception {
        byte[] jar = TestBundles.answerBundle("1.0.0", "one");

        HttpResponse<String> unsigned = call("POST", "/v1/admin/plugins", admin,
                JSON.writeValueAsString(Map.of("jar", Base64.getEncoder().encodeToString(jar))));
        assertEquals(422, unsigned.statusCode(), unsigned.body());
        assertEquals("unsigned", error(unsigned).get("code"));

        byte[] tampered = jar.clone();
        String sig = new String(PluginSignature.sign(jar, trusted.getPrivate(), trusted.getPublic()).toBytes(), StandardCharsets.UTF_8);
        tampered[tampered.length / 2] ^= 1;
        HttpResponse<String> changed = call("POST", "/v1/admin/plugins", admin,
                JSON.writeValueAsString(Map.of("jar", Base64.getEncoder().encodeToString(tampered), "signature", sig)));
        assertEquals(422, changed.statusCode(), changed.body());
        assertEquals("bad-signature", error(changed).get("code"));

        HttpResponse<String> foreign = upload("POST", "/v1/admin/plugins", jar, stranger);
        assertEquals(422, foreign.statusCode(), foreign.body());
        assertEquals("untrusted-key", error(foreign).get("code"));

        // A signature made by the trusted key over other bytes, and one whose signature bytes were forged.
        String other = new String(PluginSignature.sign(TestBundles.answerBundle("9.0.0", "x"), trusted.getPrivate(), trusted.getPublic()).toBytes(),
                StandardCharsets.UTF_8);
        assertEquals("bad-signature", error(call("POST", "/v1/admin/plugins", admin,
                JSON.writeValueAsString(Map.of("jar", Base64.getEncoder().encodeToString(jar), "signature", other)))).get("code"));
        String forged = sig.replaceAll("signature: (.)", "signature: " + (sig.contains("signature: A") ? "B" : "A"));
        assertEquals("bad-signature", error(call("POST", "/v1/admin/plugins", admin,
                JSON.writeValueAsString(Map.of("jar", Base64.getEncoder().encodeToString(jar), "signature", forged)))).get("code"));

        for (Bundle b : context.getBundles()) {
            assertFalse("io.patchfleet.it.answer".equals(b.getSymbolicName()), "nothing installed");
        }
    }

    @Test
    void anUpdateWithAMissingPackageRollsBackAndSaysWhichPackage() throws Exception {
        assertEquals(201, upload("POST", "/v1/admin/plugins", TestBundles.answerBundle("1.0.0", "one"), trusted).statusCode());
        HttpResponse<String> r = upload("PUT", "/v1/admin/plugins/io.patchfleet.it.answer", PluginBundles.answerMissingPackage("2.0.0"), trusted);
        assertEquals(422, r.statusCode(), r.body());
        assertEquals("rolled-back", error(r).get("code"));
        assertTrue(String.valueOf(error(r).get("message")).contains("missing package com.example.nowhere"), r.body());
        assertEquals("1.0.0", plugins.get("io.patchfleet.it.answer").version());
        assertEquals("ACTIVE", plugins.get("io.patchfleet.it.answer").state());
        assertEquals("one", answer());
    }

    @Test
    void anUpdateWhoseComponentFailsToActivateRollsBackAndReportsTheException() throws Exception {
        assertEquals(201, upload("POST", "/v1/admin/plugins", TestBundles.answerBundle("1.0.0", "one"), trusted).statusCode());
        HttpResponse<String> r = upload("PUT", "/v1/admin/plugins/io.patchfleet.it.answer", PluginBundles.answerWithFailingComponent("2.0.0"), trusted);
        assertEquals(422, r.statusCode(), r.body());
        assertTrue(String.valueOf(error(r).get("message")).contains("deliberate activation failure"), r.body());
        List<?> problems = (List<?>) error(r).get("problems");
        assertTrue(String.valueOf(problems).contains("io.patchfleet.it.answer.broken"), r.body());
        assertEquals("1.0.0", plugins.get("io.patchfleet.it.answer").version());
        assertEquals("one", answer());
        assertEquals(200, ServerProfileTest.await(() -> call("GET", "/v1/health", null, null), x -> x.statusCode() == 200).statusCode());
        assertTrue(call("GET", "/v1/admin/audit?limit=1000", admin, null).body().contains("plugin.rollback"));
    }

    @Test
    void aBrokenInstallIsUninstalledAgain() throws Exception {
        HttpResponse<String> r = upload("POST", "/v1/admin/plugins", PluginBundles.answerMissingPackage("1.0.0"), trusted);
        assertEquals(422, r.statusCode(), r.body());
        assertEquals("rolled-back", error(r).get("code"));
        for (Bundle b : context.getBundles()) {
            assertFalse("io.patchfleet.it.answer".equals(b.getSymbolicName()), "rolled back: uninstalled");
        }
    }

    @Test
    void anUpdateThatWouldUnsatisfyAnotherBundlesComponentIsRolledBack() throws Exception {
        assertEquals(201, upload("POST", "/v1/admin/plugins", PluginBundles.provider("1.0.0", true), trusted).statusCode());
        assertEquals(201, upload("POST", "/v1/admin/plugins", PluginBundles.consumer(), trusted).statusCode());
        assertEquals("ACTIVE", state(PluginBundles.CONSUMER, "io.patchfleet.it.greeting.consumer"));

        HttpResponse<String> r = upload("PUT", "/v1/admin/plugins/" + PluginBundles.PROVIDER, PluginBundles.provider("2.0.0", false), trusted);
        assertEquals(422, r.statusCode(), r.body());
        assertTrue(String.valueOf(error(r).get("problems")).contains("io.patchfleet.it.greeting.consumer"), r.body());
        assertEquals("1.0.0", plugins.get(PluginBundles.PROVIDER).version());
        assertEquals("ACTIVE", state(PluginBundles.CONSUMER, "io.patchfleet.it.greeting.consumer"));
    }

    @Test
    void profileAndPlatformBundlesAreProtectedAndAnUpdateMustKeepTheSymbolicName() throws Exception {
        HttpResponse<String> self = upload("PUT", "/v1/admin/plugins/io.patchfleet.platform.admin", TestBundles.answerBundle("1.0.0", "x"), trusted);
        assertEquals(409, self.statusCode(), self.body());
        assertEquals("protected", error(self).get("code"));
        HttpResponse<String> renamed = upload("PUT", "/v1/admin/plugins/io.patchfleet.rollout.tiers", TestBundles.answerBundle("1.0.0", "x"), trusted);
        assertEquals(400, renamed.statusCode(), renamed.body());
        assertEquals("invalid-jar", error(renamed).get("code"));
        HttpResponse<String> garbage = call("POST", "/v1/admin/plugins", admin,
                JSON.writeValueAsString(Map.of("jar", Base64.getEncoder().encodeToString("not a jar".getBytes(StandardCharsets.UTF_8)))));
        assertEquals(400, garbage.statusCode(), garbage.body());
        assertEquals(404, call("POST", "/v1/admin/plugins/no.such.bundle/start", admin, "{}").statusCode());
    }

    @Test
    void anAuditorMayListButNotChange() throws Exception {
        String name = "it-plugin-auditor-" + System.nanoTime();
        String password = "pw-" + name + "-long-enough";
        assertEquals(201, call("POST", "/v1/admin/users", admin,
                JSON.writeValueAsString(Map.of("name", name, "role", "auditor", "password", password))).statusCode());
        String auditor = (String) JSON.readValue(call("POST", "/v1/admin/login", null,
                JSON.writeValueAsString(Map.of("user", name, "password", password))).body(), Map.class).get("token");
        assertEquals(200, call("GET", "/v1/admin/plugins", auditor, null).statusCode());
        assertEquals(403, call("POST", "/v1/admin/plugins/io.patchfleet.rollout.tiers/stop", auditor, "{}").statusCode());
        assertEquals(403, call("PUT", "/v1/admin/config/io.patchfleet.server.http", auditor, "{\"values\":{\"max.concurrent.requests\":\"5\"}}").statusCode());
        assertEquals(401, call("GET", "/v1/admin/plugins", null, null).statusCode());
    }

    @Test
    void configurationIsCheckedAgainstTheMetatypeAndAnInvalidValueChangesNothing() throws Exception {
        String pid = "io.patchfleet.server.retention";
        Configuration before = existing(pid);
        Map<String, Object> kept = before == null ? null : new HashMap<>(ServerProfileTestHelpers.toMap(before));
        try {
            HttpResponse<String> bad = call("PUT", "/v1/admin/config/" + pid, admin,
                    "{\"values\":{\"report.retention.days\":\"ten\",\"no.such.key\":\"1\"}}");
            assertEquals(400, bad.statusCode(), bad.body());
            Map<?, ?> e = error(bad);
            assertEquals("invalid-config", e.get("code"));
            String problems = String.valueOf(e.get("problems"));
            assertTrue(problems.contains("report.retention.days") && problems.contains("whole number"), bad.body());
            assertTrue(problems.contains("no.such.key") && problems.contains("unknown property"), bad.body());
            Configuration after = existing(pid);
            assertEquals(kept, after == null ? null : new HashMap<>(ServerProfileTestHelpers.toMap(after)), "nothing applied");

            HttpResponse<String> good = call("PUT", "/v1/admin/config/" + pid, admin, "{\"values\":{\"report.retention.days\":\"17\"}}");
            assertEquals(200, good.statusCode(), good.body());
            assertEquals(17, ((Number) existing(pid).getProperties().get("report.retention.days")).intValue());
            Map<?, ?> got = JSON.readValue(call("GET", "/v1/admin/config/" + pid, admin, null).body(), Map.class);
            assertEquals(17, ((Map<?, ?>) got.get("properties")).get("report.retention.days"));
            assertTrue(String.valueOf(got.get("attributes")).contains("report.retention.days"), String.valueOf(got));
            assertTrue(call("GET", "/v1/admin/audit?limit=1000", admin, null).body().contains("config.set"));

            HttpResponse<String> noMetatype = call("PUT", "/v1/admin/config/it.no.metatype", admin, "{\"values\":{\"a\":\"1\"}}");
            assertEquals(400, noMetatype.statusCode(), noMetatype.body());
            assertEquals("no-metatype", error(noMetatype).get("code"));
        } finally {
            Configuration c = existing(pid);
            if (kept == null) {
                if (c != null) {
                    c.delete();
                }
            } else {
                c.update(new java.util.Hashtable<>(kept));
            }
        }
    }

    @Test
    void theDevelopmentSwitchAllowsUnsignedPluginsAndShowsInHealth() throws Exception {
        assertTrue(ServerProfileTestHelpers.warnings(call("GET", "/v1/health", null, null).body()).isEmpty());
        plugins.setConfig("io.patchfleet.platform.admin", Map.of("allow.unsigned", "true"), "it");
        try {
            HttpResponse<String> health = ServerProfileTest.await(() -> call("GET", "/v1/health", null, null),
                    r -> r.body().contains("unsigned plugins are allowed"));
            assertFalse(ServerProfileTestHelpers.warnings(health.body()).isEmpty());
            HttpResponse<String> unsigned = call("POST", "/v1/admin/plugins", admin,
                    JSON.writeValueAsString(Map.of("jar", Base64.getEncoder().encodeToString(TestBundles.answerBundle("1.0.0", "dev")))));
            assertEquals(201, unsigned.statusCode(), unsigned.body());
            assertEquals("unsigned", JSON.readValue(unsigned.body(), Map.class).get("signer"));
        } finally {
            plugins.setConfig("io.patchfleet.platform.admin", Map.of("allow.unsigned", "false"), "it");
        }
        ServerProfileTest.await(() -> call("GET", "/v1/health", null, null), r -> !r.body().contains("unsigned plugins are allowed"));
        assertFalse(plugins.allowsUnsigned());
    }

    @Test
    void theDeployFolderInstallsSignedJarsRefusesUnsignedOnesAndUninstallsRemovedOnes() throws Exception {
        Path deploy = Path.of(context.getProperty("patchfleet.data")).resolve("deploy");
        Files.createDirectories(deploy);
        byte[] jar = TestBundles.answerBundle("1.0.0", "deployed");
        Files.write(deploy.resolve("answer.jar.sig"), PluginSignature.sign(jar, trusted.getPrivate(), trusted.getPublic()).toBytes());
        Files.write(deploy.resolve("answer.jar.part"), jar);
        Files.move(deploy.resolve("answer.jar.part"), deploy.resolve("answer.jar"));
        awaitTrue(() -> installed("io.patchfleet.it.answer"), "the signed jar is installed");
        assertEquals("deployed", answer());
        assertEquals("it-signer", plugins.get("io.patchfleet.it.answer").signer());

        Files.write(deploy.resolve("consumer.jar"), PluginBundles.consumer());
        awaitTrue(() -> Files.exists(deploy.resolve("consumer.jar.error")), "an error file for the unsigned jar");
        assertTrue(Files.readString(deploy.resolve("consumer.jar.error")).startsWith("unsigned"));
        assertFalse(installed(PluginBundles.CONSUMER));

        Files.delete(deploy.resolve("answer.jar"));
        Files.delete(deploy.resolve("answer.jar.sig"));
        Files.delete(deploy.resolve("consumer.jar"));
        awaitTrue(() -> !installed("io.patchfleet.it.answer"), "uninstalled when its jar is removed");
        awaitTrue(() -> !Files.exists(deploy.resolve("consumer.jar.error")), "the error file goes with its jar");
        String audit = call("GET", "/v1/admin/audit?limit=1000", admin, null).body();
        assertTrue(audit.contains("\"actor\":\"deploy-folder\""), audit);
    }

    @Test
    void theDeployFolderAppliesConfigurationThroughTheMetatypeCheck() throws Exception {
        Path deploy = Path.of(context.getProperty("patchfleet.data")).resolve("deploy");
        Files.createDirectories(deploy);
        String pid = "io.patchfleet.server.retention";
        Configuration before = existing(pid);
        Map<String, Object> kept = before == null ? null : new HashMap<>(ServerProfileTestHelpers.toMap(before));
        Path cfg = deploy.resolve(pid + ".cfg");
        try {
            Files.writeString(cfg, "report.retention.days = many\n");
            awaitTrue(() -> Files.exists(deploy.resolve(pid + ".cfg.error")), "an error file for the invalid value");
            assertTrue(Files.readString(deploy.resolve(pid + ".cfg.error")).contains("report.retention.days"));
            Configuration unchanged = existing(pid);
            assertEquals(kept, unchanged == null ? null : new HashMap<>(ServerProfileTestHelpers.toMap(unchanged)));

            Files.writeString(cfg, "report.retention.days = 23\n");
            awaitTrue(() -> existing(pid) != null && Integer.valueOf(23).equals(existing(pid).getProperties().get("report.retention.days")),
                    "the corrected file is applied");
            awaitTrue(() -> !Files.exists(deploy.resolve(pid + ".cfg.error")), "the error file is gone once the file applied");
        } finally {
            Files.deleteIfExists(cfg);
            awaitTrue(() -> existing(pid) == null, "the configuration is deleted with its file");
            if (kept != null) {
                cm.getConfiguration(pid, "?").update(new java.util.Hashtable<>(kept));
            }
        }
    }

    // ---- helpers

    @FunctionalInterface
    interface Check {
        boolean ok() throws Exception;
    }

    private static void awaitTrue(Check check, String what) throws Exception {
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(30);
        while (!check.ok()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within 30 s: " + what);
            }
            Thread.sleep(100);
        }
    }

    private boolean installed(String bsn) {
        for (Bundle b : context.getBundles()) {
            if (bsn.equals(b.getSymbolicName()) && b.getState() == Bundle.ACTIVE) {
                return true;
            }
        }
        return false;
    }

    private String state(String bsn, String component) throws Exception {
        return plugins.get(bsn).components().stream().filter(c -> c.name().equals(component)).findFirst()
                .map(c -> c.state()).orElse("missing");
    }

    private Configuration existing(String pid) throws Exception {
        Configuration[] found = cm.listConfigurations("(service.pid=" + pid + ")");
        return found == null ? null : found[0];
    }

    private String answer() throws Exception {
        HttpResponse<String> r = ServerProfileTest.await(() -> call("GET", "/v1/it/answer", null, null), x -> x.statusCode() == 200);
        return String.valueOf(JSON.readValue(r.body(), Map.class).get("answer"));
    }

    private static Map<?, ?> plugin(HttpResponse<String> list, String bsn) throws Exception {
        for (Object o : (List<?>) JSON.readValue(list.body(), Map.class).get("plugins")) {
            if (bsn.equals(((Map<?, ?>) o).get("symbolicName"))) {
                return (Map<?, ?>) o;
            }
        }
        throw new AssertionError(bsn + " not listed");
    }

    private static Map<?, ?> error(HttpResponse<String> r) throws Exception {
        Object e = JSON.readValue(r.body(), Map.class).get("error");
        assertNotNull(e, r.body());
        return (Map<?, ?>) e;
    }

    private HttpResponse<String> upload(String method, String path, byte[] jar, KeyPair key) throws Exception {
        String sig = new String(PluginSignature.sign(jar, key.getPrivate(), key.getPublic()).toBytes(), StandardCharsets.UTF_8);
        return call(method, path, admin, JSON.writeValueAsString(Map.of("jar", Base64.getEncoder().encodeToString(jar), "signature", sig)));
    }

    private HttpResponse<String> call(String method, String path, String token, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(TIMEOUT);
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        b.header("Content-Type", "application/json").method(method,
                body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }
}
