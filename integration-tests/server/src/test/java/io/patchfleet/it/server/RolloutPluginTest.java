package io.patchfleet.it.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

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

import io.patchfleet.model.KernelId;
import io.patchfleet.model.Machine;
import io.patchfleet.model.MachineId;
import io.patchfleet.model.PatchRelease;
import io.patchfleet.model.Sha256;
import io.patchfleet.model.TierName;
import io.patchfleet.store.api.EnrollmentStore;
import io.patchfleet.store.api.MachineStore;
import io.patchfleet.store.api.PatchCatalog;
import io.patchfleet.store.api.TierStore;

/**
 * For integrators (issue 8, item 5): the example plugin in {@code examples/rollout-require-tag},
 * built only against the published SPI, is installed into the running server, configured, takes
 * part in decisions, and is removed again — no restart.
 */
class RolloutPluginTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final KernelId KERNEL = KernelId.of("6.1.0-79-amd64", "x86_64", "");
    private static final String OFFERED = "patch 1 awaits its publisher metadata on this server";

    @InjectBundleContext
    BundleContext context;

    @InjectService(timeout = 20_000)
    ConfigurationAdmin configAdmin;

    @InjectService(timeout = 20_000)
    PatchCatalog catalog;

    @InjectService(timeout = 20_000)
    TierStore tiers;

    @InjectService(timeout = 20_000)
    MachineStore machines;

    @InjectService(timeout = 20_000)
    EnrollmentStore enrollment;

    @InjectService(timeout = 20_000)
    ServiceAware<HttpServiceRuntime> runtime;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private String base;

    @Test
    void theExamplePluginJoinsTheChainWhenInstalledAndLeavesWhenRemoved() throws Exception {
        Object endpoint = runtime.getServiceReference().getProperty("osgi.http.endpoint");
        String url = endpoint instanceof String[] a ? a[0] : String.valueOf(endpoint);
        base = url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
        String tier = "plugin" + Long.toString(System.nanoTime() % 100000);
        TierName t = TierName.of(tier);
        tiers.create(t, tiers.tiers().size());
        catalog.add(new PatchRelease(KERNEL, 1, "lkp_pl_1", "6.1.0-79-amd64/x86_64/lkp_pl_1.ko",
                Sha256.digestOf(new byte[] {79}), 100, List.of(), "plugin test", Instant.now(), 0, false));
        catalog.promote(KERNEL, 1, t);
        String token = enrollment.createToken(t, Instant.now().plusSeconds(600), 1, "plugin", "it").secret();
        String id = "0123456789abcdef0123456789abc079";
        HttpResponse<String> enrolled = post("/v1/enroll", null, Map.of("token", token, "machineId", id, "kernel", kernelJson(),
                "tags", List.of()));
        assertEquals(200, enrolled.statusCode(), enrolled.body());
        String credential = (String) JSON.readValue(enrolled.body(), Map.class).get("credential");
        assertEquals(OFFERED, checkIn(id, credential));

        Path jar = examplePlugin();
        Bundle plugin;
        try (InputStream in = Files.newInputStream(jar)) {
            plugin = context.installBundle("it:example-rollout-plugin", in);
        }
        Configuration config = configAdmin.getFactoryConfiguration("com.example.rollout.requiretag", "it-" + tier, "?");
        try {
            plugin.start();
            Hashtable<String, Object> props = new Hashtable<>();
            props.put("tiers", new String[] {tier});
            props.put("tag", "canary");
            config.update(props);
            String held = "held: this tier takes new patches only on machines tagged canary (require-tag)";
            await(() -> checkIn(id, credential).equals(held), "the installed plugin holds the untagged machine");

            Machine m = machines.find(MachineId.of(id)).orElseThrow();
            machines.enroll(new Machine(m.id(), m.tier(), Set.of("canary"), m.enrolledAt()));
            await(() -> checkIn(id, credential).equals(OFFERED), "a tagged machine gets the patch");
            machines.enroll(new Machine(m.id(), m.tier(), Set.of(), m.enrolledAt()));
            assertEquals(held, checkIn(id, credential));
        } finally {
            // Uninstalled first, its configuration deleted after: the other order raced in the framework.
            // Configuration Admin deletes on its own thread, so SCR unregistered the plugin's policy while
            // the bundle was being uninstalled, and Felix's event dispatch failed on the gone revision
            // (NullPointerException in ServiceReferenceImpl.isAssignableTo, seen once on a clean-clone CI
            // run): the server never heard that the policy left. Uninstalling stops the bundle, and SCR
            // unregisters its services while the bundle still has its revision.
            plugin.uninstall();
            config.delete();
        }
        await(() -> checkIn(id, credential).equals(OFFERED), "uninstalled: the chain is back to the tier policy");
    }

    /** The example bundle built by {@code examples/rollout-require-tag}, found from the working directory up. */
    private static Path examplePlugin() throws IOException {
        for (Path dir = Path.of(System.getProperty("user.dir")).toAbsolutePath(); dir != null; dir = dir.getParent()) {
            Path target = dir.resolve("examples/rollout-require-tag/target");
            if (Files.isDirectory(target)) {
                try (Stream<Path> files = Files.list(target)) {
                    Optional<Path> jar = files.filter(p -> p.getFileName().toString().matches("com\\.example\\.rollout\\.requiretag-.*\\.jar"))
                            .findFirst();
                    if (jar.isPresent()) {
                        return jar.get();
                    }
                }
            }
        }
        throw new AssertionError("examples/rollout-require-tag is not built (mvn install builds it before these tests); "
                + "looked up from " + System.getProperty("user.dir"));
    }

    interface Condition {
        boolean holds() throws Exception;
    }

    private static void await(Condition c, String what) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!c.holds()) {
            assertTrue(System.nanoTime() < deadline, what + " within 20 s");
            TimeUnit.MILLISECONDS.sleep(50);
        }
    }

    private String checkIn(String id, String credential) throws Exception {
        HttpResponse<String> r = post("/v1/check-in", credential, Map.of("machineId", id, "kernel", kernelJson(),
                "patchState", "nothing-to-apply", "patchVersion", 0, "clientVersion", "1.0.0", "bootTime", "2026-11-25T08:00:00Z",
                "uptimeSeconds", 3600, "events", List.of(), "trustedVersions", Map.of(), "directiveCounter", 0));
        assertEquals(200, r.statusCode(), r.body());
        return String.valueOf(JSON.readValue(r.body(), Map.class).get("reason"));
    }

    private static Map<String, Object> kernelJson() {
        return Map.of("release", KERNEL.release(), "architecture", KERNEL.architecture(), "flavour", KERNEL.flavour(),
                "build", KERNEL.build());
    }

    private HttpResponse<String> post(String path, String credential, Object body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(20))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)));
        if (credential != null) {
            b.header("Authorization", "Bearer " + credential);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }
}
