package io.patchfleet.it.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.EnumMap;
import java.util.Enumeration;
import java.util.HexFormat;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;

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

import io.patchfleet.model.Cve;
import io.patchfleet.model.KernelId;
import io.patchfleet.model.PatchRelease;
import io.patchfleet.model.Severity;
import io.patchfleet.model.Sha256;
import io.patchfleet.model.TierName;
import io.patchfleet.platform.admin.PluginException;
import io.patchfleet.platform.admin.PluginManager;
import io.patchfleet.platform.admin.PluginSignature;
import io.patchfleet.store.api.EnrollmentStore;
import io.patchfleet.store.api.PatchCatalog;
import io.patchfleet.trust.api.PublishRequest;
import io.patchfleet.trust.api.RoleKeys;
import io.patchfleet.trust.api.RoleName;
import io.patchfleet.trust.api.SigningKey;
import io.patchfleet.trust.api.TrustKey;
import io.patchfleet.trust.api.TrustService;
import io.patchfleet.trust.tuf.KernelRoles;
import io.patchfleet.trust.tuf.LocalSigningKey;
import io.patchfleet.trust.tuf.RepositoryDirectory;

/**
 * DESIGN §4 and issue 7: the storage, rollout and trust bundles of a running server are updated
 * one after another while 50 machines check in without pause, then a broken bundle is rolled
 * back under the same load. Every check-in must succeed and be answered by a whole chain: the
 * tier policy's decision (the published patch) in a directive signed by the server.
 */
class HotSwapUnderLoadTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final KernelId KERNEL = KernelId.of("6.1.0-77-amd64", "x86_64", "");
    private static final int MACHINES = 50;

    @InjectBundleContext
    BundleContext context;

    @InjectService(timeout = 20_000)
    TrustService trust;

    @InjectService(timeout = 20_000)
    ConfigurationAdmin configAdmin;

    @InjectService(timeout = 20_000)
    PatchCatalog catalog;

    @InjectService(timeout = 20_000)
    EnrollmentStore enrollment;

    @InjectService(timeout = 20_000)
    PluginManager plugins;

    @InjectService(timeout = 20_000)
    ServiceAware<HttpServiceRuntime> runtime;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5))
            .executor(Executors.newFixedThreadPool(8)).build();
    private String base;

    @Test
    void storageRolloutAndTrustAreSwappedUnderFiftyCheckingInMachinesWithoutAFailedCheckIn() throws Exception {
        Object endpoint = runtime.getServiceReference().getProperty("osgi.http.endpoint");
        String url = endpoint instanceof String[] a ? a[0] : endpoint instanceof List<?> l ? String.valueOf(l.get(0)) : String.valueOf(endpoint);
        base = url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
        PatchRelease release = publishAndMirror();
        KeyPair signer = PluginSignature.generateKeyPair();
        Path trustDir = Path.of(context.getProperty("patchfleet.data")).resolve("etc").resolve("plugin-trust");
        Files.createDirectories(trustDir);
        Files.writeString(trustDir.resolve("it-swap.pub"), PluginSignature.pem(signer.getPublic()));

        String token = enrollment.createToken(TierName.of("edge"), Instant.now().plusSeconds(600), MACHINES, "it", "swap").secret();
        List<String[]> machines = new ArrayList<>();
        for (int i = 0; i < MACHINES; i++) {
            String id = String.format("5a5a5a5a5a5a5a5a5a5a5a5a5a5a%04d", i);
            Map<?, ?> enrolled = JSON.readValue(post("/v1/enroll", null, Map.of("token", token, "machineId", id,
                    "kernel", kernelJson(), "tags", List.of())).body(), Map.class);
            machines.add(new String[] {id, (String) enrolled.get("credential")});
        }

        AtomicBoolean running = new AtomicBoolean(true);
        AtomicLong ok = new AtomicLong();
        ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
        ExecutorService load = Executors.newFixedThreadPool(MACHINES);
        for (String[] m : machines) {
            load.submit(() -> {
                while (running.get()) {
                    try {
                        HttpResponse<String> r = post("/v1/check-in", m[1], checkIn(m[0]));
                        if (r.statusCode() != 200) {
                            failures.add(m[0] + ": HTTP " + r.statusCode() + " " + r.body());
                        } else if (!String.valueOf(JSON.readValue(r.body(), Map.class).get("directive")).contains(release.targetName())) {
                            failures.add(m[0] + ": answered without the tier policy's patch: " + r.body());
                        } else {
                            ok.incrementAndGet();
                        }
                    } catch (Exception e) {
                        failures.add(m[0] + ": " + e);
                    }
                }
                return null;
            });
        }
        Map<String, byte[]> originals = new java.util.LinkedHashMap<>();
        try {
            awaitCount(ok, 100);
            for (String bsn : List.of("io.patchfleet.store.jdbc", "io.patchfleet.rollout.tiers", "io.patchfleet.trust.tuf")) {
                Bundle b = bundle(bsn);
                String version = b.getVersion() + "-swap";
                originals.put(bsn, jarOf(b, null, null));
                byte[] next = jarOf(b, version, null);
                long before = ok.get();
                var updated = plugins.update(bsn, next, sign(next, signer), "it");
                assertEquals(version, updated.version(), bsn);
                assertEquals("it-swap", updated.signer(), "an admin's update of a profile bundle shows its signer");
                awaitCount(ok, before + 100);
            }

            Bundle tiers = bundle("io.patchfleet.rollout.tiers");
            byte[] broken = jarOf(tiers, tiers.getVersion() + "-broken", "com.example.nowhere;version=\"[1,2)\"");
            long before = ok.get();
            PluginException e = assertThrows(PluginException.class,
                    () -> plugins.update("io.patchfleet.rollout.tiers", broken, sign(broken, signer), "it"));
            assertEquals("rolled-back", e.code());
            assertTrue(e.getMessage().contains("missing package com.example.nowhere"), e.getMessage());
            assertTrue(bundle("io.patchfleet.rollout.tiers").getVersion().toString().endsWith("-swap"));
            awaitCount(ok, before + 100);
        } finally {
            running.set(false);
            load.shutdown();
            assertTrue(load.awaitTermination(60, TimeUnit.SECONDS));
            // Put the shipped bundles back, so later tests see the profile as built.
            for (Map.Entry<String, byte[]> o : originals.entrySet()) {
                plugins.update(o.getKey(), o.getValue(), sign(o.getValue(), signer), "it");
            }
            forgetMirror();
        }
        assertEquals(List.of(), List.copyOf(failures), "failed check-ins: " + failures.size() + " of " + (ok.get() + failures.size()));
        assertTrue(ok.get() >= 400, "check-ins during the swaps: " + ok.get());
    }

    /**
     * The mirror keeps the trusted metadata of this test's publisher; another test's publisher
     * (another root) would be refused as a rollback. Drop both so the next test starts afresh.
     */
    private void forgetMirror() throws Exception {
        Configuration mirror = configAdmin.getConfiguration("io.patchfleet.server.mirror", "?");
        mirror.delete();
        Path dir = Path.of(context.getProperty("patchfleet.data")).resolve("mirror");
        TimeUnit.MILLISECONDS.sleep(500);
        if (Files.isDirectory(dir)) {
            try (var walk = Files.walk(dir)) {
                for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    private static byte[] sign(byte[] jar, KeyPair key) throws Exception {
        return PluginSignature.sign(jar, key.getPrivate(), key.getPublic()).toBytes();
    }

    private Bundle bundle(String bsn) {
        for (Bundle b : context.getBundles()) {
            if (bsn.equals(b.getSymbolicName())) {
                return b;
            }
        }
        throw new AssertionError(bsn + " not installed");
    }

    /** The bundle's current jar, rebuilt from its entries, with another version or one more import when asked. */
    private static byte[] jarOf(Bundle b, String version, String extraImport) throws Exception {
        Manifest mf;
        try (InputStream in = b.getEntry("META-INF/MANIFEST.MF").openStream()) {
            mf = new Manifest(in);
        }
        Attributes main = mf.getMainAttributes();
        if (version != null) {
            main.putValue("Bundle-Version", version);
        }
        if (extraImport != null) {
            String imports = main.getValue("Import-Package");
            main.putValue("Import-Package", imports == null ? extraImport : imports + "," + extraImport);
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (JarOutputStream jar = new JarOutputStream(bytes, mf)) {
            Deque<String> folders = new ArrayDeque<>(List.of("/"));
            while (!folders.isEmpty()) {
                Enumeration<String> paths = b.getEntryPaths(folders.pop());
                while (paths != null && paths.hasMoreElements()) {
                    String p = paths.nextElement();
                    if (p.endsWith("/")) {
                        folders.push(p);
                    } else if (!p.equals("META-INF/MANIFEST.MF")) {
                        jar.putNextEntry(new JarEntry(p));
                        URL entry = b.getEntry(p);
                        try (InputStream in = entry.openStream()) {
                            in.transferTo(jar);
                        }
                        jar.closeEntry();
                    }
                }
            }
        }
        return bytes.toByteArray();
    }

    private static void awaitCount(AtomicLong count, long target) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (count.get() < target) {
            assertTrue(System.nanoTime() < deadline, "check-ins stalled at " + count.get() + " (waiting for " + target + ")");
            TimeUnit.MILLISECONDS.sleep(20);
        }
    }

    private PatchRelease publishAndMirror() throws Exception {
        Path repoDir = Files.createTempDirectory("swap-repo");
        RepositoryDirectory repo = RepositoryDirectory.repository(repoDir);
        Map<RoleName, List<SigningKey>> keys = new EnumMap<>(RoleName.class);
        Map<RoleName, RoleKeys> roles = new EnumMap<>(RoleName.class);
        List<TrustKey> all = new ArrayList<>();
        for (RoleName role : RoleName.values()) {
            LocalSigningKey key = LocalSigningKey.generate(LocalSigningKey.Type.ED25519);
            keys.put(role, List.of(key));
            roles.put(role, new RoleKeys(Set.of(key.publicKey().id()), 1));
            all.add(key.publicKey());
        }
        Instant now = Instant.now();
        trust.publisher().rotateRoot(repo, roles, all, List.of(), keys.get(RoleName.ROOT), now.plus(Duration.ofDays(365)));
        byte[] module = "a hot-swap test module".repeat(50).getBytes(StandardCharsets.UTF_8);
        String target = KernelRoles.targetName(KERNEL, "lkp_swap_1.ko");
        PatchRelease release = new PatchRelease(KERNEL, 1, "lkp_swap_1", target, Sha256.digestOf(module), module.length,
                List.of(new Cve("CVE-2024-1086", Severity.HIGH)), "hot-swap test patch", now, 0, false);
        Files.createDirectories(repo.targetPath(target).getParent());
        Files.write(repo.targetPath(target), module);
        trust.publisher().publish(repo, new PublishRequest(List.of(release), Set.of(), Duration.ofDays(30), Duration.ofDays(1)), keys, now);
        Configuration mirror = configAdmin.getConfiguration("io.patchfleet.server.mirror", "?");
        Hashtable<String, Object> props = new Hashtable<>();
        props.put("repository", repoDir.toString());
        props.put("root.sha256", HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                .digest(Files.readAllBytes(repoDir.resolve("metadata/1.root.json")))));
        props.put("interval.seconds", 1L);
        mirror.update(props);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (catalog.findByKernel(KERNEL).stream().noneMatch(r -> r.sha256().equals(release.sha256()))) {
            assertTrue(System.nanoTime() < deadline, "the mirror fed the catalog within 30 s");
            TimeUnit.MILLISECONDS.sleep(50);
        }
        return release;
    }

    private static Map<String, Object> kernelJson() {
        return Map.of("release", KERNEL.release(), "architecture", KERNEL.architecture(), "flavour", KERNEL.flavour(), "build", KERNEL.build());
    }

    private static Map<String, Object> checkIn(String machine) {
        return Map.of("machineId", machine, "kernel", kernelJson(), "patchState", "nothing-to-apply",
                "patchVersion", 0, "clientVersion", "1.0.0", "bootTime", "2026-11-25T08:00:00Z", "uptimeSeconds", 3600,
                "events", List.of(), "trustedVersions", Map.of(), "directiveCounter", 0);
    }

    private HttpResponse<String> post(String path, String credential, Object body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(90))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)));
        if (credential != null) {
            b.header("Authorization", "Bearer " + credential);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }
}
