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
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.servlet.runtime.HttpServiceRuntime;
import org.osgi.test.common.annotation.InjectService;
import org.osgi.test.common.service.ServiceAware;

import com.fasterxml.jackson.databind.ObjectMapper;

import io.patchfleet.model.Cve;
import io.patchfleet.model.KernelId;
import io.patchfleet.model.MachineId;
import io.patchfleet.model.PatchRelease;
import io.patchfleet.model.Severity;
import io.patchfleet.model.Sha256;
import io.patchfleet.model.TierName;
import io.patchfleet.store.api.EnrollmentStore;
import io.patchfleet.store.api.PatchCatalog;
import io.patchfleet.trust.api.MetadataFile;
import io.patchfleet.trust.api.MetadataSource;
import io.patchfleet.trust.api.PublishRequest;
import io.patchfleet.trust.api.RoleKeys;
import io.patchfleet.trust.api.RoleName;
import io.patchfleet.trust.api.SigningKey;
import io.patchfleet.trust.api.TrustAnchor;
import io.patchfleet.trust.api.TrustKey;
import io.patchfleet.trust.api.TrustService;
import io.patchfleet.trust.api.Verifier;
import io.patchfleet.trust.tuf.KernelRoles;
import io.patchfleet.trust.tuf.LocalSigningKey;
import io.patchfleet.trust.tuf.RepositoryDirectory;

/**
 * The machine API of the server profile over its real port: a publisher repository mirrored and
 * verified into the catalog, enrollment, check-in with a signed directive and the metadata a
 * machine needs to verify it as a TUF client, module download with resume, and the refusals.
 */
@org.junit.jupiter.api.TestInstance(org.junit.jupiter.api.TestInstance.Lifecycle.PER_CLASS)
class MachineApiTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final KernelId KERNEL = KernelId.of("6.1.0-56-amd64", "x86_64", "");
    private static final String MACHINE = "0123456789abcdef0123456789abcd01";

    @InjectService(timeout = 20_000)
    TrustService trust;

    @InjectService(timeout = 20_000)
    ConfigurationAdmin configAdmin;

    @InjectService(timeout = 20_000)
    PatchCatalog catalog;

    @InjectService(timeout = 20_000)
    EnrollmentStore enrollment;

    @InjectService(timeout = 20_000)
    ServiceAware<HttpServiceRuntime> runtime;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private String base;
    private Path repoDir;
    private byte[] module;
    private PatchRelease release;

    @BeforeEach
    void publishAndMirror() throws Exception {
        Object endpoint = runtime.getServiceReference().getProperty("osgi.http.endpoint");
        String url = endpoint instanceof String[] a ? a[0] : String.valueOf(endpoint);
        base = url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
        if (repoDir != null) {
            return;
        }
        repoDir = Files.createTempDirectory("publisher-repo");
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
        module = "a livepatch module's bytes".repeat(100).getBytes(StandardCharsets.UTF_8);
        String target = KernelRoles.targetName(KERNEL, "lkp_it_1.ko");
        release = new PatchRelease(KERNEL, 1, "lkp_it_1", target, Sha256.digestOf(module), module.length,
                List.of(new Cve("CVE-2024-1086", Severity.HIGH)), "integration test patch", now, 0, false);
        Files.createDirectories(repo.targetPath(target).getParent());
        Files.write(repo.targetPath(target), module);
        trust.publisher().publish(repo, new PublishRequest(List.of(release), Set.of(), Duration.ofDays(30), Duration.ofDays(1)),
                keys, now);

        Configuration mirror = configAdmin.getConfiguration("io.patchfleet.server.mirror", "?");
        Hashtable<String, Object> props = new Hashtable<>();
        props.put("repository", repoDir.toString());
        props.put("root.sha256", Sha256.digestOf(Files.readAllBytes(repoDir.resolve("metadata/1.root.json"))).hex());
        props.put("interval.seconds", 1L);
        mirror.update(props);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (catalog.findByKernel(KERNEL).stream().noneMatch(r -> r.sha256().equals(release.sha256()))) {
            assertTrue(System.nanoTime() < deadline, "the mirror fed the catalog within 20 s");
            TimeUnit.MILLISECONDS.sleep(50);
        }
    }

    @Test
    void aMachineEnrollsChecksInAndGetsWhatItNeedsToVerifyAndApply() throws Exception {
        String token = enrollment.createToken(TierName.of("edge"), Instant.now().plusSeconds(600), 5, "it", "test").secret();
        Map<?, ?> enrolled = json(post("/v1/enroll", null, Map.of("token", token, "machineId", MACHINE,
                "kernel", kernelJson(KERNEL), "tags", List.of("web"))), 200);
        String credential = (String) enrolled.get("credential");
        assertEquals("edge", enrolled.get("tier"));
        assertEquals("ed25519", ((Map<?, ?>) enrolled.get("directiveKey")).get("keytype"));
        assertEquals(Files.readString(repoDir.resolve("metadata/root.json")), enrolled.get("publisherRoot"),
                "the publisher's root, verbatim");

        HttpResponse<String> first = post("/v1/check-in", credential, checkIn(MACHINE, KERNEL, Map.of()));
        Map<?, ?> answer = json(first, 200);
        assertEquals("supported", answer.get("kernelSupport"));
        String directive = (String) answer.get("directive");
        assertNotNull(directive, first.body());
        assertTrue(directive.contains(release.targetName()) && directive.contains(MACHINE), directive);
        Map<?, ?> metadata = (Map<?, ?>) answer.get("metadata");
        assertTrue(metadata.containsKey("timestamp.json"), metadata.keySet().toString());
        assertTrue(metadata.keySet().stream().anyMatch(k -> ((String) k).endsWith("." + KernelRoles.roleFor(KERNEL) + ".json")));
        long next = ((Number) answer.get("nextCheckInSeconds")).longValue();
        assertTrue(next >= 3240 && next <= 3960, "interval with 10 % jitter: " + next);

        // The decision is kept per machine (admin machine show) and counts in the rollout's real exposure.
        String admin = adminLogin();
        Map<?, ?> shown = json(send(HttpRequest.newBuilder(URI.create(base + "/v1/admin/machines/" + MACHINE))
                .header("Authorization", "Bearer " + admin).build()), 200);
        assertEquals(Map.of("outcome", "offer", "reason", "patch " + release.version()),
                Map.of("outcome", ((Map<?, ?>) shown.get("decision")).get("outcome"), "reason",
                        ((Map<?, ?>) shown.get("decision")).get("reason")), shown.toString());
        Map<?, ?> rollouts = json(send(HttpRequest.newBuilder(URI.create(base + "/v1/admin/rollouts?tier=edge&kernel="
                + KERNEL.release())).header("Authorization", "Bearer " + admin).build()), 200);
        Map<?, ?> row = ((List<?>) rollouts.get("rollouts")).stream().map(o -> (Map<?, ?>) o)
                .filter(r -> ((Number) r.get("version")).longValue() == release.version()).findFirst().orElseThrow();
        Map<?, ?> exposure = (Map<?, ?>) row.get("exposure");
        long exposed = ((Number) exposure.get("machines")).longValue();
        long onKernel = ((Number) row.get("machinesOnKernel")).longValue();
        assertTrue(exposed >= 1 && exposed <= onKernel, row.toString());
        assertEquals(Math.round(exposed * 1000.0 / onKernel) / 10.0, ((Number) exposure.get("percent")).doubleValue(), 0.001,
                row.toString());

        // A TUF client pinned to the publisher's root verifies the server's metadata and finds the target.
        Verifier client = trust.open(TrustAnchor.pinned(Sha256.digestOf(
                Files.readAllBytes(repoDir.resolve("metadata/1.root.json")))), new MemoryStore());
        MetadataSource server = (name, max) -> {
            try {
                HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(URI.create(base + "/v1/metadata/" + name))
                        .header("Authorization", "Bearer " + credential).build(), HttpResponse.BodyHandlers.ofByteArray());
                return r.statusCode() == 404 ? Optional.empty() : Optional.of(new MetadataFile(name, r.body()));
            } catch (InterruptedException e) {
                throw new java.io.IOException(e);
            }
        };
        client.refresh(server, Instant.now());
        var targets = client.targetsFor(KERNEL, server, Instant.now()).orElseThrow();
        assertEquals(module.length, targets.target(release.targetName()).orElseThrow().length());

        // Nothing changed: 304 with the same ETag, and the report is still recorded.
        String etag = first.headers().firstValue("etag").orElseThrow();
        HttpResponse<String> again = send(HttpRequest.newBuilder(URI.create(base + "/v1/check-in"))
                .header("Authorization", "Bearer " + credential).header("If-None-Match", etag)
                .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(checkIn(MACHINE, KERNEL, Map.of())))).build());
        assertEquals(304, again.statusCode());

        // The module, whole and resumed from an offset.
        HttpResponse<byte[]> whole = http.send(HttpRequest.newBuilder(URI.create(base + "/v1/blobs/" + release.sha256().hex()))
                .header("Authorization", "Bearer " + credential).build(), HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, whole.statusCode());
        assertTrue(Arrays.equals(module, whole.body()));
        HttpResponse<byte[]> resumed = http.send(HttpRequest.newBuilder(URI.create(base + "/v1/blobs/" + release.sha256().hex()))
                .header("Authorization", "Bearer " + credential).header("Range", "bytes=100-").build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(206, resumed.statusCode());
        assertTrue(Arrays.equals(Arrays.copyOfRange(module, 100, module.length), resumed.body()));
        assertEquals("bytes 100-" + (module.length - 1) + "/" + module.length, resumed.headers().firstValue("content-range").orElse(""));
        // A bounded range: exactly those bytes, streamed with their length announced.
        HttpResponse<byte[]> slice = http.send(HttpRequest.newBuilder(URI.create(base + "/v1/blobs/" + release.sha256().hex()))
                .header("Authorization", "Bearer " + credential).header("Range", "bytes=10-19").build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(206, slice.statusCode());
        assertTrue(Arrays.equals(Arrays.copyOfRange(module, 10, 20), slice.body()));
        assertEquals("10", slice.headers().firstValue("content-length").orElse(""));
        assertEquals("\"" + release.sha256().hex() + "\"", whole.headers().firstValue("etag").orElse(""));
        assertEquals(String.valueOf(module.length), whole.headers().firstValue("content-length").orElse(""));
        // A range past the end: 416 with a JSON error, no body bytes.
        HttpResponse<String> past = http.send(HttpRequest.newBuilder(URI.create(base + "/v1/blobs/" + release.sha256().hex()))
                .header("Authorization", "Bearer " + credential).header("Range", "bytes=" + module.length + "-").build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(416, past.statusCode());
        assertTrue(past.body().contains("range-not-satisfiable"), past.body());
    }

    @Test
    void refusalsAreClearAndReEnrollmentRotatesTheCredential() throws Exception {
        String machine = "0123456789abcdef0123456789abcd02";
        String token = enrollment.createToken(TierName.of("edge"), Instant.now().plusSeconds(600), 5, "it", "test").secret();
        String first = (String) json(post("/v1/enroll", null, Map.of("token", token, "machineId", machine,
                "kernel", kernelJson(KERNEL), "tags", List.of())), 200).get("credential");
        String second = (String) json(post("/v1/enroll", null, Map.of("token", token, "machineId", machine,
                "kernel", kernelJson(KERNEL), "tags", List.of())), 200).get("credential");
        assertNotEquals(first, second);
        // The current credential keeps working until the new one is first used (a client that
        // refuses the answer, or never gets it, is not locked out); then it is dead.
        assertEquals(200, post("/v1/check-in", first, checkIn(machine, KERNEL, Map.of())).statusCode(), "old one until the new is used");
        assertEquals(200, post("/v1/check-in", second, checkIn(machine, KERNEL, Map.of())).statusCode());
        assertEquals(401, post("/v1/check-in", first, checkIn(machine, KERNEL, Map.of())).statusCode(), "old credential dead");

        assertEquals("token-rejected", error(post("/v1/enroll", null, Map.of("token", "not-a-token", "machineId", machine,
                "kernel", kernelJson(KERNEL), "tags", List.of())), 403));
        assertEquals("invalid-machine-id", error(post("/v1/enroll", null, Map.of("token", token, "machineId", "../../etc",
                "kernel", kernelJson(KERNEL), "tags", List.of())), 400));
        assertEquals("machine-mismatch", error(post("/v1/check-in", second, checkIn(MACHINE, KERNEL, Map.of())), 403));
        assertEquals(401, post("/v1/check-in", null, checkIn(machine, KERNEL, Map.of())).statusCode());

        // An unknown kernel is a support state, not an error.
        KernelId unknown = KernelId.of("5.10.0-99-amd64", "x86_64", "");
        Map<?, ?> unsupported = json(post("/v1/check-in", second, checkIn(machine, unknown, Map.of())), 200);
        assertEquals("unsupported", unsupported.get("kernelSupport"));
        assertEquals(null, unsupported.get("directive"));

        // Path tricks on metadata and blobs find nothing.
        for (String path : new String[] {"/v1/metadata/..%2F..%2Fkeys%2Fdirective.key", "/v1/metadata/root.json.bak",
                "/v1/blobs/" + "A".repeat(64)}) {
            HttpResponse<String> r = send(HttpRequest.newBuilder(URI.create(base + path))
                    .header("Authorization", "Bearer " + second).GET().build());
            assertTrue(r.statusCode() == 404 || r.statusCode() == 400, path + " -> " + r.statusCode());
            assertFalse(r.body().contains("patchfleet-key"), r.body());
        }
        assertEquals("invalid-report", error(post("/v1/check-in", second, Map.of("machineId", machine)), 400));
    }

    private static Map<String, Object> kernelJson(KernelId k) {
        return Map.of("release", k.release(), "architecture", k.architecture(), "flavour", k.flavour(), "build", k.build());
    }

    private static Map<String, Object> checkIn(String machine, KernelId kernel, Map<String, Long> trusted) {
        return Map.of("machineId", machine, "kernel", kernelJson(kernel), "patchState", "nothing-to-apply",
                "patchVersion", 0, "clientVersion", "1.0.0", "bootTime", "2026-11-25T08:00:00Z", "uptimeSeconds", 3600,
                "events", List.of(), "trustedVersions", trusted, "directiveCounter", 0);
    }

    @org.osgi.test.common.annotation.InjectBundleContext
    org.osgi.framework.BundleContext context;

    private String adminLogin() throws Exception {
        Path file = Path.of(context.getProperty("patchfleet.data")).resolve("initial-admin-password");
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(20);
        while (true) {
            HttpResponse<String> r = post("/v1/admin/login", null, Map.of("user", "admin", "password",
                    Files.isRegularFile(file) ? Files.readString(file).strip() : ""));
            if (r.statusCode() == 200) {
                return (String) JSON.readValue(r.body(), Map.class).get("token");
            }
            assertTrue(System.nanoTime() < deadline, "admin login: " + r.statusCode() + " " + r.body());
            java.util.concurrent.TimeUnit.MILLISECONDS.sleep(100);
        }
    }

    private HttpResponse<String> post(String path, String credential, Object body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(20))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)));
        if (credential != null) {
            b.header("Authorization", "Bearer " + credential);
        }
        return send(b.build());
    }

    private HttpResponse<String> send(HttpRequest request) throws Exception {
        return http.send(request, HttpResponse.BodyHandlers.ofString());
    }

    private static Map<?, ?> json(HttpResponse<String> response, int status) throws Exception {
        assertEquals(status, response.statusCode(), response.body());
        return JSON.readValue(response.body(), Map.class);
    }

    private static String error(HttpResponse<String> response, int status) throws Exception {
        return String.valueOf(((Map<?, ?>) json(response, status).get("error")).get("code"));
    }

    /** The client's trusted store, in memory. */
    static final class MemoryStore implements io.patchfleet.trust.api.TrustedMetadataStore {
        private final Map<String, MetadataFile> files = new java.util.concurrent.ConcurrentHashMap<>();

        @Override
        public Optional<MetadataFile> load(RoleName role) {
            return Optional.ofNullable(files.get(role.wireName()));
        }

        @Override
        public void save(RoleName role, MetadataFile file) {
            files.put(role.wireName(), file);
        }

        @Override
        public Optional<MetadataFile> loadDelegated(String role) {
            return Optional.ofNullable(files.get("delegated:" + role));
        }

        @Override
        public void saveDelegated(String role, MetadataFile file) {
            files.put("delegated:" + role, file);
        }
    }

    static MachineId id(String value) {
        return new MachineId(value);
    }
}
