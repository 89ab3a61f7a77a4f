package io.patchfleet.it.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.net.URI;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.osgi.framework.BundleContext;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.servlet.runtime.HttpServiceRuntime;
import org.osgi.test.common.annotation.InjectBundleContext;
import org.osgi.test.common.annotation.InjectService;
import org.osgi.test.common.service.ServiceAware;

import com.fasterxml.jackson.databind.ObjectMapper;

import io.patchfleet.cli.ClientVerbs;
import io.patchfleet.cli.ControlClient;
import io.patchfleet.cli.DataDirectories;
import io.patchfleet.cli.ExitCodes;
import io.patchfleet.cli.StatusCommand;
import io.patchfleet.kernel.simulated.SimulatedModules;
import io.patchfleet.model.Cve;
import io.patchfleet.model.KernelId;
import io.patchfleet.model.MachineId;
import io.patchfleet.model.PatchRelease;
import io.patchfleet.model.PatchState;
import io.patchfleet.model.Severity;
import io.patchfleet.model.Sha256;
import io.patchfleet.model.TierName;
import io.patchfleet.store.api.EnrollmentStore;
import io.patchfleet.store.api.MachineStore;
import io.patchfleet.store.api.PatchCatalog;
import io.patchfleet.store.api.StoredReport;
import io.patchfleet.trust.api.PublishRequest;
import io.patchfleet.trust.api.RoleKeys;
import io.patchfleet.trust.api.RoleName;
import io.patchfleet.trust.api.SigningKey;
import io.patchfleet.trust.api.TrustKey;
import io.patchfleet.trust.api.TrustService;
import io.patchfleet.trust.tuf.KernelRoles;
import io.patchfleet.trust.tuf.LocalSigningKey;
import io.patchfleet.trust.tuf.RepositoryDirectory;
import picocli.CommandLine;

/**
 * The whole loop in one framework over a real port: a publisher repository with a sample patch,
 * the server mirroring it, a client on the simulated kernel that enrolls with the publisher root
 * pinned, checks in, downloads, verifies and applies the patch, and reports it.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class EndToEndTest {
    private static final String BUILD = "#1 SMP PREEMPT_DYNAMIC e2e";
    private static final KernelId KERNEL = new KernelId("6.1.0-56-amd64", "x86_64", "amd64", BUILD);
    private static final String MACHINE = "0123456789abcdef0123456789abcde2";

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
    MachineStore machines;

    @InjectService(timeout = 20_000)
    ServiceAware<HttpServiceRuntime> runtime;

    private Path work;
    private RepositoryDirectory repo;
    private Map<RoleName, List<SigningKey>> keys;
    private String rootSha;

    private Path data() {
        return Path.of(context.getProperty("patchfleet.data"));
    }

    @Test
    @Order(1)
    void aMachineEnrollsChecksInAppliesThePatchOnTheSimulatedKernelAndReportsIt() throws Exception {
        // Given a publisher repository with one patch for the simulated kernel, mirrored by the server
        work = Files.createTempDirectory("e2e");
        Path repoDir = work.resolve("publisher");
        repo = RepositoryDirectory.repository(repoDir);
        keys = new EnumMap<>(RoleName.class);
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
        Path moduleFile = SimulatedModules.write(work.resolve("lkp_e2e_1.ko"), "lkp_e2e_1", KERNEL.release());
        byte[] module = Files.readAllBytes(moduleFile);
        String target = KernelRoles.targetName(KERNEL, "lkp_e2e_1.ko");
        PatchRelease release = new PatchRelease(KERNEL, 1, "lkp_e2e_1", target, Sha256.digestOf(module), module.length,
                List.of(new Cve("CVE-2024-1086", Severity.HIGH)), "e2e patch", now.minusSeconds(60), 0, false);
        Files.createDirectories(repo.targetPath(target).getParent());
        Files.write(repo.targetPath(target), module);
        trust.publisher().publish(repo, new PublishRequest(List.of(release), Set.of(), Duration.ofDays(30), Duration.ofDays(1)),
                keys, now);
        rootSha = Sha256.digestOf(Files.readAllBytes(repoDir.resolve("metadata/root.json"))).hex();
        update("io.patchfleet.server.mirror", Map.of("repository", repoDir.toString(), "root.sha256", rootSha,
                "interval.seconds", 1L));
        waitFor(() -> {
            try {
                return catalog.findByKernel(KERNEL).stream().anyMatch(r -> r.sha256().equals(release.sha256()));
            } catch (Exception e) {
                return false;
            }
        }, "the mirror fed the catalog");

        // And a client on the simulated kernel, pointed at the server's port
        Path machineId = work.resolve("machine-id");
        Files.writeString(machineId, MACHINE + "\n");
        update("io.patchfleet.kernel.simulated", Map.of("root", work.resolve("kernel").toString(), "version", BUILD,
                "transition.ms", 50L));
        update("io.patchfleet.client", Map.of("remote.server", base(), "check.interval", 0, "kernel.target",
                "(kernel=simulated)", "machine.id.file", machineId.toString(), "boot.id.file", work.resolve("boot-id").toString()));
        waitFor(() -> KERNEL.release().equals(kernelField("running")), "the client runs on the simulated kernel");

        // When the machine is enabled with the publisher root pinned, and checks in
        String token = enrollment.createToken(TierName.of("edge"), Instant.now().plusSeconds(600), 5, "e2e", "test").secret();
        assertEquals(ExitCodes.OK, cli(new ClientVerbs.Enable(null), "enable", "--server", base(), "--root-sha256", rootSha, "--", token));
        assertEquals(ExitCodes.OK, cli(new ClientVerbs.Refresh(null), "refresh", "--wait"));

        // Then the patch is applied to the kernel and status says so
        StringWriter json = new StringWriter();
        CommandLine status = new CommandLine(new StatusCommand(null));
        status.setOut(new PrintWriter(json));
        assertEquals(ExitCodes.OK, status.execute("--data", data().toString(), "--format", "json"));
        Map<?, ?> parsed = new ObjectMapper().readValue(json.toString(), Map.class);
        Map<?, ?> kernel = (Map<?, ?>) parsed.get("kernel");
        assertEquals("applied", kernel.get("patchState"), json.toString());
        assertEquals(1, ((Number) kernel.get("patchVersion")).intValue(), json.toString());
        assertEquals("checked", kernel.get("checkState"));
        assertEquals("supported", kernel.get("support"));
        assertTrue(json.toString().contains("CVE-2024-1086"), json.toString());
        assertTrue(Files.readString(work.resolve("kernel/sys/kernel/livepatch/lkp_e2e_1/enabled")).trim().equals("1"),
                "the simulated kernel runs the patch");

        // And the next check-in reports it with the insertion events
        assertEquals(ExitCodes.OK, cli(new ClientVerbs.Refresh(null), "refresh", "--wait"));
        List<StoredReport> reports = machines.reports(new MachineId(MACHINE), Instant.EPOCH, 100);
        StoredReport last = reports.get(reports.size() - 1);
        assertEquals(PatchState.APPLIED, last.report().patchState());
        assertEquals(1, last.report().patchVersion());
        assertTrue(reports.stream().flatMap(r -> r.report().events().stream())
                .anyMatch(e -> e.kind().wireName().equals("after-transition")), "events delivered");
    }

    @Test
    @Order(2)
    void aRootThatDoesNotMatchThePinIsRefused() throws Exception {
        String token = enrollment.createToken(TierName.of("edge"), Instant.now().plusSeconds(600), 5, "e2e", "test").secret();
        assertEquals(ExitCodes.FAILED, cli(new ClientVerbs.Enable(null), "enable", "--server", base(),
                "--root-sha256", "ab".repeat(32), "--", token));
        assertEquals(ExitCodes.USAGE, cli(new ClientVerbs.Enable(null), "enable", "--server", base(), "--", token),
                "no pin and no explicit trust on first use");
        // The refused enable stored nothing, and the server, which issued a new credential for it,
        // keeps the machine's current one valid until the new one is used: the machine still checks in.
        assertEquals(ExitCodes.OK, cli(new ClientVerbs.Refresh(null), "refresh", "--wait"));
        assertEquals("checked", kernelField("checkState"), String.valueOf(statusVerbose()));
        // Enabled once more with the right pin, its first check-in uses the new credential, and the
        // old one stops working then.
        String before = credential();
        assertEquals(ExitCodes.OK, cli(new ClientVerbs.Enable(null), "enable", "--server", base(), "--root-sha256", rootSha,
                "--", token));
        assertNotEquals(before, credential(), "a new credential");
        waitFor(() -> "checked".equals(kernelField("checkState")), "the first check-in with the new credential");
        assertTrue(enrollment.authenticate(credential()).isPresent(), "the new credential works");
        assertTrue(enrollment.authenticate(before).isEmpty(), "the old credential stopped once the new one was used");
        assertEquals(ExitCodes.OK, cli(new ClientVerbs.Refresh(null), "refresh", "--wait"));
        assertEquals("applied", kernelField("patchState"));
        assertEquals(1, ((Number) kernelField("patchVersion")).intValue());
    }

    @Test
    @Order(3)
    void tamperedBytesNeverReachTheKernel() throws Exception {
        // Given version 2 published, and its blob altered on the server's disk
        PatchRelease v2 = publish(2, "lkp_e2e_2");
        Path blob = serverBlob(v2.sha256().hex());
        byte[] original = Files.readAllBytes(blob);
        byte[] tampered = original.clone();
        tampered[tampered.length / 2] ^= 1;
        blob.toFile().setWritable(true);
        Files.write(blob, tampered);
        try {
            // When the machine checks in
            assertEquals(ExitCodes.OK, cli(new ClientVerbs.Refresh(null), "refresh", "--wait"));
            // Then it refuses the bytes and keeps running version 1
            assertEquals("apply-failed", kernelField("patchState"));
            assertEquals(1, ((Number) kernelField("patchVersion")).intValue());
            assertTrue(String.valueOf(statusField("message")).contains("SHA-256"), String.valueOf(statusField("message")));
            assertTrue(Files.exists(work.resolve("kernel/sys/kernel/livepatch/lkp_e2e_1")));
        } finally {
            Files.write(blob, original);
        }
    }

    @Test
    @Order(4)
    void aPatchWhoseInsertionCrashedIsNotRetriedUntilCleared() throws Exception {
        // Given the daemon died while inserting version 2 (the crash guard's marker is on disk)
        PatchRelease v2 = catalog.findByKernel(KERNEL).stream().filter(r -> r.version() == 2).findFirst().orElseThrow();
        Files.writeString(data().resolve("client/apply-attempt.json"), "{\"version\": 2, \"sha256\": \"" + v2.sha256().hex()
                + "\", \"bootId\": \"unknown\", \"settling\": false, \"startedAt\": \"" + Instant.now() + "\"}");
        restartDaemon();

        // Then version 2 is marked crashed and not applied again
        assertTrue(String.valueOf(statusField("crashed")).contains("version=2"), String.valueOf(statusField("crashed")));
        assertEquals(ExitCodes.OK, cli(new ClientVerbs.Refresh(null), "refresh", "--wait"));
        assertEquals(1, ((Number) kernelField("patchVersion")).intValue());
        assertTrue(statusVerbose().get("blocked").toString().contains("crashed"), statusVerbose().toString());

        // Until an admin clears the guard: then it applies, replacing version 1
        assertEquals(ExitCodes.OK, cli(new ClientVerbs.Refresh(null), "refresh", "--wait", "--clear-crash"));
        assertEquals(2, ((Number) kernelField("patchVersion")).intValue(), statusVerbose().toString());
        assertEquals("applied", kernelField("patchState"));
        assertTrue(Files.exists(work.resolve("kernel/sys/kernel/livepatch/lkp_e2e_2")));
        assertTrue(Files.notExists(work.resolve("kernel/sys/kernel/livepatch/lkp_e2e_1")), "atomic replace unloaded version 1");
    }

    @Test
    @Order(5)
    void aPatchInsideThePatchDelayIsHeldBackAndListed() throws Exception {
        // Given a patch delay of one hour on the client, and version 3 published a minute ago
        Configuration client = configAdmin.getConfiguration("io.patchfleet.client", "?");
        Hashtable<String, Object> props = new Hashtable<>();
        var current = client.getProperties();
        for (var keys = current.keys(); keys.hasMoreElements();) {
            String k = keys.nextElement();
            props.put(k, current.get(k));
        }
        props.put("patch.delay", "1h");
        client.update(props);
        publish(3, "lkp_e2e_3");
        // When the machine checks in, then version 3 waits and status --verbose says why
        assertEquals(ExitCodes.OK, cli(new ClientVerbs.Refresh(null), "refresh", "--wait"));
        assertEquals(2, ((Number) kernelField("patchVersion")).intValue());
        assertTrue(statusVerbose().get("blocked").toString().contains("patch-delay"), statusVerbose().toString());
        // And without the delay it applies
        props.remove("patch.delay");
        client.update(props);
        waitFor(() -> {
            cli(new ClientVerbs.Refresh(null), "refresh", "--wait");
            Object v = kernelField("patchVersion");
            return v instanceof Number n && n.intValue() == 3;
        }, "version 3 applied once the delay is gone");
    }

    @Test
    @Order(6)
    void aRevokedPatchFallsBackToThePreviousCumulativePatch() throws Exception {
        // Given version 3 revoked by the publisher
        PatchRelease v3 = catalog.findByKernel(KERNEL).stream().filter(r -> r.version() == 3).findFirst().orElseThrow();
        trust.publisher().publish(repo, new PublishRequest(List.of(v3.withRevoked(true)), Set.of(), Duration.ofDays(30),
                Duration.ofDays(1)), keys, Instant.now());
        // When the machine checks in, then it runs version 2 again and version 3 is gone from the kernel
        waitFor(() -> {
            cli(new ClientVerbs.Refresh(null), "refresh", "--wait");
            Object v = kernelField("patchVersion");
            return v instanceof Number n && n.intValue() == 2;
        }, "the fallback to version 2");
        assertTrue(Files.exists(work.resolve("kernel/sys/kernel/livepatch/lkp_e2e_2")));
        assertTrue(Files.notExists(work.resolve("kernel/sys/kernel/livepatch/lkp_e2e_3")));
    }

    @Test
    @Order(7)
    void aModuleBuiltForAnotherKernelIsRefusedBeforeInsertion() throws Exception {
        // Given version 4 signed for this kernel, but its module's vermagic names another release
        publish(4, "lkp_e2e_4", "6.1.0-99-amd64");
        // When the machine checks in, then it refuses the module and keeps running version 2
        assertEquals(ExitCodes.OK, cli(new ClientVerbs.Refresh(null), "refresh", "--wait"));
        assertEquals("apply-failed", kernelField("patchState"));
        assertEquals(2, ((Number) kernelField("patchVersion")).intValue());
        assertTrue(String.valueOf(statusField("message")).contains("built for kernel 6.1.0-99-amd64"),
                String.valueOf(statusField("message")));
        assertTrue(Files.notExists(work.resolve("kernel/sys/kernel/livepatch/lkp_e2e_4")));
    }

    @Test
    @Order(8)
    void aStalledTransitionIsReversedAndTheKernelKeepsThePreviousPatch() throws Exception {
        // Given a client that waits 2 s for a transition, and a simulated kernel on which version 5's never finishes
        Configuration client = configAdmin.getConfiguration("io.patchfleet.client", "?");
        Hashtable<String, Object> clientProps = copy(client);
        Hashtable<String, Object> shortTimeout = copy(client);
        shortTimeout.put("transition.timeout.seconds", 2);
        client.update(shortTimeout);
        Configuration simulated = configAdmin.getConfiguration("io.patchfleet.kernel.simulated", "?");
        Hashtable<String, Object> kernelProps = copy(simulated);
        Hashtable<String, Object> stalling = copy(simulated);
        stalling.put("module.faults", new String[] {"lkp_e2e_5:stall"});
        reconfigureKernel(simulated, stalling);
        try {
            publish(5, "lkp_e2e_5");
            // When the machine checks in
            assertEquals(ExitCodes.OK, cli(new ClientVerbs.Refresh(null), "refresh", "--wait"));
            // Then the transition was reversed, version 5 unloaded, and version 2 still runs
            assertEquals("apply-failed", kernelField("patchState"), String.valueOf(statusVerbose()));
            assertEquals(2, ((Number) kernelField("patchVersion")).intValue());
            String message = String.valueOf(statusField("message"));
            assertTrue(message.contains("reversed and unloaded") && message.contains("2718 fio"), message);
            assertTrue(Files.notExists(work.resolve("kernel/sys/kernel/livepatch/lkp_e2e_5")), "version 5 unloaded");
            assertEquals("1", Files.readString(work.resolve("kernel/sys/kernel/livepatch/lkp_e2e_2/enabled")).trim(),
                    "version 2 still enabled");
        } finally {
            client.update(clientProps);
            reconfigureKernel(simulated, kernelProps);
        }
    }

    @Test
    @Order(9)
    void expiredPublisherMetadataIsRefusedAndTheKernelIsLeftAlone() throws Exception {
        // Given the publisher's newest timestamp expired (published with a 4 s lifetime, mirrored, then outlived)
        trust.publisher().publish(repo, new PublishRequest(List.of(), Set.of(), Duration.ofDays(30), Duration.ofSeconds(4)),
                keys, Instant.now());
        TimeUnit.SECONDS.sleep(6);
        try {
            // When the machine checks in, then the check-in fails on the expired metadata and version 2 keeps running
            // (refresh --wait exits 0 here: the daemon ran the check-in; the state says it failed)
            cli(new ClientVerbs.Refresh(null), "refresh", "--wait");
            assertEquals("check-failed", kernelField("checkState"), String.valueOf(statusVerbose()));
            String message = String.valueOf(statusField("message"));
            assertTrue(message.toLowerCase(java.util.Locale.ROOT).contains("expired"), message);
            assertEquals(2, ((Number) kernelField("patchVersion")).intValue());
            assertEquals("1", Files.readString(work.resolve("kernel/sys/kernel/livepatch/lkp_e2e_2/enabled")).trim());
        } finally {
            // And once the publisher signs a fresh timestamp, check-ins succeed again
            trust.publisher().publish(repo, new PublishRequest(List.of(), Set.of(), Duration.ofDays(30), Duration.ofDays(1)),
                    keys, Instant.now());
        }
        waitFor(() -> cli(new ClientVerbs.Refresh(null), "refresh", "--wait") == ExitCodes.OK
                && "checked".equals(kernelField("checkState")), "a check-in with fresh metadata");
    }

    /** Updates the simulated kernel's configuration and waits until the daemon restarted on the new kernel service. */
    private void reconfigureKernel(Configuration simulated, Hashtable<String, Object> props) throws Exception {
        long before = simulatedKernelServiceId();
        simulated.update(props);
        waitFor(() -> {
            long now = simulatedKernelServiceId();
            return now != -1 && now != before && KERNEL.release().equals(kernelField("running"));
        }, "the client runs on the reconfigured simulated kernel");
    }

    private long simulatedKernelServiceId() {
        try {
            var refs = context.getServiceReferences((String) null, "(service.pid=io.patchfleet.kernel.simulated)");
            return refs == null || refs.length == 0 ? -1 : (Long) refs[0].getProperty("service.id");
        } catch (org.osgi.framework.InvalidSyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Hashtable<String, Object> copy(Configuration c) {
        Hashtable<String, Object> props = new Hashtable<>();
        var current = c.getProperties();
        for (var keys = current.keys(); keys.hasMoreElements();) {
            String k = keys.nextElement();
            props.put(k, current.get(k));
        }
        return props;
    }

    @Test
    @Order(10)
    void withTheServerDownTheClientKeepsItsPatchBacksOffAndLosesNoEvent() throws Exception {
        // Given a client that checks in through a relay the test can cut (the server "goes down"),
        // health checks 2, 10 and 14 s after an apply, and version 6 published
        Configuration client = configAdmin.getConfiguration("io.patchfleet.client", "?");
        Hashtable<String, Object> clientProps = copy(client);
        Hashtable<String, Object> fastHealth = copy(client);
        fastHealth.put("health.checks", "2s,10s,14s");
        client.update(fastHealth);
        URI server = URI.create(base());
        try (Relay relay = new Relay(server.getHost(), server.getPort())) {
            String token = enrollment.createToken(TierName.of("edge"), Instant.now().plusSeconds(600), 5, "e2e", "test").secret();
            assertEquals(ExitCodes.OK, cli(new ClientVerbs.Enable(null), "enable", "--server", relay.url(), "--root-sha256",
                    rootSha, "--", token));
            publish(6, "lkp_e2e_6");
            waitFor(() -> {
                cli(new ClientVerbs.Refresh(null), "refresh", "--wait");
                return kernelField("patchVersion") instanceof Number n && n.intValue() == 6;
            }, "version 6 applied");
            Instant applied = Instant.now();

            // When the server goes down right after the apply (the apply's events are still queued)
            relay.down();
            assertEquals(ExitCodes.FAILED, cli(new ClientVerbs.Refresh(null), "refresh", "--wait"));

            // Then the client keeps its patch and says clearly why it could not check in
            assertEquals("check-failed", kernelField("checkState"));
            assertEquals("applied", kernelField("patchState"));
            assertEquals(6, ((Number) kernelField("patchVersion")).intValue());
            String message = String.valueOf(statusField("message"));
            assertTrue(message.contains("check-in with " + relay.url() + " failed: ") && !message.contains("null"), message);
            assertEquals("1", Files.readString(work.resolve("kernel/sys/kernel/livepatch/lkp_e2e_6/enabled")).trim());

            // And the health checks are queued while it is down, on time, across a daemon restart
            waitFor(() -> queued().contains("2s after the apply"), "the 2 s health check queued");
            assertTrue(!queued().contains("10s after"), "the 10 s check not yet due");
            restartDaemonWhile(() -> true);
            waitFor(() -> queued().contains("14s after the apply") && Files.notExists(data().resolve("client/health.json")),
                    "the 10 and 14 s health checks after the restart, and none left");
            List<Map<?, ?>> events = queuedEvents();
            assertEquals(List.of("before-insert", "after-insert", "after-transition", "health-ping", "health-ping", "health-ping"),
                    events.stream().filter(e -> ((Number) e.get("patchVersion")).intValue() == 6).map(e -> e.get("kind")).toList(),
                    events.toString());
            for (Map<?, ?> e : events) {
                String detail = String.valueOf(e.get("detail"));
                for (int d : new int[] {2, 10, 14}) {
                    if (detail.startsWith(d + "s after")) {
                        assertTrue(!Instant.parse(String.valueOf(e.get("time"))).isBefore(applied.plusSeconds(d - 1)),
                                detail + " at " + e.get("time") + ", applied " + applied);
                        assertTrue(detail.endsWith("loaded") && !detail.contains("not loaded"), detail);
                    }
                }
            }

            // And it backs off meanwhile: with checks every 60 min, failed checks retry sooner, and later each time
            Hashtable<String, Object> hourly = copy(client);
            hourly.put("check.interval", 60);
            client.update(hourly);
            waitFor(() -> untilNextCheck() > Duration.ofMinutes(50).toMillis(), "the hourly schedule");
            for (int attempt = 1; attempt <= 2; attempt++) {
                int before = ((Number) statusField("failedChecks")).intValue();
                cli(new ClientVerbs.Refresh(null), "refresh");
                waitFor(() -> ((Number) statusField("failedChecks")).intValue() > before, "a failed scheduled check");
                int failed = ((Number) statusField("failedChecks")).intValue();
                long step = 30_000L << (failed - 1); // Backoff: 30 s doubled per failure, half to all of it
                // The daemon counts the failure, then reschedules: the status may show the count
                // a moment before the new time (seen once under load: 1 failed check, next in 60 min).
                waitFor(() -> untilNextCheck() <= step, "the backoff's retry time after " + failed + " failed check(s)");
                long next = untilNextCheck();
                assertTrue(next > step / 2 - 5_000 && next <= step, failed + " failed checks: next try in " + next + " ms");
            }

            // When the server is back, the next check-in delivers every queued event: none lost
            client.update(fastHealth);
            waitFor(() -> statusField("nextCheck") == null, "manual checks again");
            relay.up();
            waitFor(() -> cli(new ClientVerbs.Refresh(null), "refresh", "--wait") == ExitCodes.OK, "a check-in once the server is back");
            assertEquals("checked", kernelField("checkState"));
            assertEquals(0, ((Number) statusField("queuedEvents")).intValue());
            List<String> delivered = machines.reports(new MachineId(MACHINE), applied.minusSeconds(60), 1000).stream()
                    .flatMap(r -> r.report().events().stream()).filter(e -> e.patchVersion() == 6)
                    .map(e -> e.kind().wireName() + ":" + e.detail()).toList();
            for (Map<?, ?> e : events) {
                assertTrue(delivered.contains(e.get("kind") + ":" + e.get("detail")), "delivered " + e + " in " + delivered);
            }
        } finally {
            client.update(clientProps);
        }
        // Back on the server's own address for the tests after this one
        String token = enrollment.createToken(TierName.of("edge"), Instant.now().plusSeconds(600), 5, "e2e", "test").secret();
        assertEquals(ExitCodes.OK, cli(new ClientVerbs.Enable(null), "enable", "--server", base(), "--root-sha256", rootSha,
                "--", token));
    }

    private long untilNextCheck() {
        Object next = statusField("nextCheck");
        return next == null ? -1 : Duration.between(Instant.now(), Instant.parse(String.valueOf(next))).toMillis();
    }

    private String queued() {
        return queuedEvents().toString();
    }

    /** The client's event queue on disk, oldest first. */
    private List<Map<?, ?>> queuedEvents() {
        try (var files = Files.list(data().resolve("client/events"))) {
            ObjectMapper json = new ObjectMapper();
            List<Map<?, ?>> out = new ArrayList<>();
            for (Path f : files.filter(p -> p.getFileName().toString().matches("\\d{19}\\.json")).sorted().toList()) {
                out.add(json.readValue(f.toFile(), Map.class));
            }
            return out;
        } catch (java.io.IOException e) {
            return List.of();
        }
    }

    private String credential() throws java.io.IOException {
        return String.valueOf(new ObjectMapper().readValue(data().resolve("client/enrollment.json").toFile(), Map.class)
                .get("credential"));
    }

    @Test
    @Order(11)
    void kernelUpgradeRequiredAndConfigAnswerWithClearCodes() throws Exception {
        assertEquals(ExitCodes.UPGRADE_NOT_REQUIRED, cli(new ClientVerbs.KernelUpgradeRequired(null), "kernel-upgrade-required"));
        assertEquals(ExitCodes.USAGE, cli(new ClientVerbs.Config(null, System.in), "config", "check-interval=often"));
        assertEquals(ExitCodes.USAGE, cli(new ClientVerbs.Config(null, System.in), "config", "colour=blue"));
        assertEquals(ExitCodes.OK, cli(new ClientVerbs.Config(null, System.in), "config", "patch-delay=1h"));
        assertTrue(Files.readString(Path.of(context.getProperty("patchfleet.data")).resolve("etc/io.patchfleet.client.cfg"))
                .contains("patch.delay = 1h"));
    }

    @Test
    @Order(12)
    void disableForgetsTheCredentialButLeavesThePatch() throws Exception {
        assertEquals(ExitCodes.OK, cli(new ClientVerbs.Disable(null), "disable"));
        assertEquals(ExitCodes.NOT_ENABLED, cli(new ClientVerbs.Refresh(null), "refresh"));
        assertNotEquals(null, kernelField("patchVersion"));
    }

    /**
     * The real client daemon as a child process (the assembled launcher), killed with SIGKILL at
     * several points and restarted: in the crash guard's settle window right after an apply,
     * between the insertion marker and the end of the insertion, and at moments spread over
     * check-ins (state, event queue and ETag writes). Each time its state must be readable, the
     * crash guard must do what it promises, and every event it had queued must reach the server.
     */
    @Test
    @Order(13)
    void theRealDaemonKilledWithSigkillAtAnyPointRecovers() throws Exception {
        Path dist = Path.of(context.getProperty("patchfleet.launcher")).toAbsolutePath().normalize();
        Path dir = Files.createTempDirectory("pfk"); // short: the control socket path is limited to 107 bytes
        String machine = "0123456789abcdef0123456789abcde3";
        Files.writeString(dir.resolve("machine-id"), machine + "\n");
        Files.createDirectories(dir.resolve("etc"));
        Files.writeString(dir.resolve("etc/io.patchfleet.client.cfg"), String.join("\n",
                "remote.server = " + base(), "check.interval = 0", "kernel.target = (kernel=simulated)",
                "machine.id.file = " + dir.resolve("machine-id"), "health.checks = 1s,2s,3s", ""));
        // Transitions of 3 s: long enough to kill the daemon in the middle of an insertion.
        Files.writeString(dir.resolve("etc/io.patchfleet.kernel.simulated.cfg"), String.join("\n",
                "release = " + KERNEL.release(), "machine = " + KERNEL.architecture(), "version = " + KERNEL.build(),
                "transition.ms = 3000", ""));
        MachineId id = new MachineId(machine);
        List<Map<?, ?>> mustArrive = new ArrayList<>();
        try (ClientProcess daemon = new ClientProcess(dist, dir)) {
            daemon.start();
            String token = enrollment.createToken(TierName.of("edge"), Instant.now().plusSeconds(600), 5, "e2e", "kill").secret();
            assertEquals(ExitCodes.OK, cliAt(dir, new ClientVerbs.Enable(null), "enable", "--server", base(), "--root-sha256", rootSha,
                    "--", token));
            long latest = catalog.findByKernel(KERNEL).stream().filter(r -> !r.revoked()).mapToLong(PatchRelease::version).max()
                    .orElseThrow();

            // 1. Killed in the settle window right after an apply (marker "settling"): a daemon
            //    death there is not a crash of the patch; the patch stays applied.
            Thread apply = new Thread(() -> cliAt(dir, new ClientVerbs.Refresh(null), "refresh", "--wait"));
            apply.start();
            waitFor(() -> {
                try {
                    String marker = Files.readString(dir.resolve("client/apply-attempt.json"));
                    return marker.contains("\"version\" : " + latest) && marker.contains("\"settling\" : true");
                } catch (java.io.IOException e) {
                    return false;
                }
            }, "the child applied version " + latest + " and is in the settle window", 180);
            mustArrive.addAll(queuedAt(dir));
            daemon.kill9();
            apply.join(30_000);
            mustArrive.addAll(queuedAt(dir));
            daemon.start();
            // (killed maybe before the apply was recorded: the next check-in finds the patch running)
            assertEquals(ExitCodes.OK, cliAt(dir, new ClientVerbs.Refresh(null), "refresh", "--wait"));
            Map<?, ?> after = daemon.status();
            assertEquals("applied", kernelOf(after, "patchState"), String.valueOf(after));
            assertEquals(latest, ((Number) kernelOf(after, "patchVersion")).longValue());
            assertEquals(null, after.get("crashed"), "a daemon death in the settle window is no crash: " + after);

            // 2. Killed between the insertion marker and the end of the insertion of the next version
            PatchRelease next = publish(latest + 1, "lkp_e2e_" + (latest + 1));
            Thread refresh = new Thread(() -> cliAt(dir, new ClientVerbs.Refresh(null), "refresh", "--wait"));
            refresh.start();
            waitFor(() -> {
                try {
                    String marker = Files.readString(dir.resolve("client/apply-attempt.json"));
                    // the marker, and the before-insert event queued after it: the kernel is inserting
                    return marker.contains("\"version\" : " + next.version()) && marker.contains("\"settling\" : false")
                            && queuedAt(dir).stream().anyMatch(e -> "before-insert".equals(e.get("kind"))
                                    && ((Number) e.get("patchVersion")).longValue() == next.version());
                } catch (java.io.IOException e) {
                    return false;
                }
            }, "the insertion of version " + next.version() + " under way", 120);
            daemon.kill9();
            refresh.join(30_000);
            mustArrive.addAll(queuedAt(dir));
            daemon.start();
            // Then the crash guard marks that version crashed, reports it, and does not retry it
            Map<?, ?> guarded = daemon.status();
            assertTrue(String.valueOf(guarded.get("crashed")).contains("version=" + next.version()), String.valueOf(guarded));
            assertEquals("apply-failed", kernelOf(guarded, "patchState"));
            assertEquals(latest, ((Number) kernelOf(guarded, "patchVersion")).longValue(), "the patch before stays recorded");
            mustArrive.addAll(queuedAt(dir));
            assertEquals(ExitCodes.OK, cliAt(dir, new ClientVerbs.Refresh(null), "refresh", "--wait"));
            assertTrue(String.valueOf(daemon.status().get("blocked")).contains("crashed"), String.valueOf(daemon.status()));
            long insertions = events(id).stream().filter(e -> e.kind().wireName().equals("before-insert")
                    && e.patchVersion() == next.version()).count();
            assertEquals(1, insertions, "the crashed version was not inserted again");
            assertTrue(events(id).stream().anyMatch(e -> e.kind().wireName().equals("error") && e.patchVersion() == next.version()
                    && e.detail().contains("crash guard")), "the crash was reported");

            // 3. Killed at moments spread over check-ins: state.json, the ETag, the event queue.
            //    Not a fixed delay from the start of the loop (on a loaded machine that could land
            //    before any check-in ran): the kill waits until i + 1 check-ins of this loop
            //    completed, so the daemon is in its check-in loop, then lands a varied time into
            //    the next check-in.
            for (int i = 0; i < 4; i++) {
                AtomicInteger completed = new AtomicInteger();
                Thread checks = new Thread(() -> {
                    for (int k = 0; k < 40 && cliAt(dir, new ClientVerbs.Refresh(null), "refresh", "--wait") != ExitCodes.DAEMON_UNREACHABLE; k++) {
                        completed.incrementAndGet(); // check-ins until the daemon dies
                    }
                });
                checks.start();
                int round = i;
                waitFor(() -> completed.get() > round || !checks.isAlive(), (i + 1) + " check-ins before kill " + i, 120);
                TimeUnit.MILLISECONDS.sleep(7L + 23L * i);
                daemon.kill9();
                checks.join(60_000);
                mustArrive.addAll(queuedAt(dir));
                daemon.start();
                Map<?, ?> s = daemon.status();
                assertEquals(true, s.get("enabled"), "enrollment readable after kill " + i + ": " + s);
                assertEquals(latest, ((Number) kernelOf(s, "patchVersion")).longValue(), "state readable after kill " + i);
                assertTrue(String.valueOf(s.get("crashed")).contains("version=" + next.version()), "the crash mark survives: " + s);
            }

            // And every event queued at any kill reached the server: none lost
            assertEquals(ExitCodes.OK, cliAt(dir, new ClientVerbs.Refresh(null), "refresh", "--wait"));
            assertEquals(0, ((Number) daemon.status().get("queuedEvents")).intValue());
            List<String> delivered = events(id).stream().map(e -> e.kind().wireName() + ":" + e.patchVersion() + ":" + e.detail())
                    .toList();
            for (Map<?, ?> e : mustArrive) {
                assertTrue(delivered.contains(e.get("kind") + ":" + e.get("patchVersion") + ":" + e.get("detail")),
                        "delivered: " + e + " in " + delivered);
            }
            assertTrue(delivered.stream().filter(d -> d.startsWith("health-ping:" + latest + ":")).count() >= 3,
                    "the health checks of version " + latest + " survived the kill: " + delivered);
        }
    }

    private List<io.patchfleet.model.MachineEvent> events(MachineId id) {
        try {
            return machines.reports(id, Instant.EPOCH, 1000).stream().flatMap(r -> r.report().events().stream()).toList();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static Object kernelOf(Map<?, ?> status, String field) {
        return status == null ? null : ((Map<?, ?>) status.get("kernel")).get(field);
    }

    private static List<Map<?, ?>> queuedAt(Path dir) {
        try (var files = Files.list(dir.resolve("client/events"))) {
            ObjectMapper json = new ObjectMapper();
            List<Map<?, ?>> out = new ArrayList<>();
            for (Path f : files.filter(p -> p.getFileName().toString().matches("\\d{19}\\.json")).sorted().toList()) {
                try {
                    out.add(json.readValue(f.toFile(), Map.class));
                } catch (java.io.IOException e) {
                    // removed meanwhile (delivered)
                }
            }
            return out;
        } catch (java.io.IOException e) {
            return List.of();
        }
    }

    private int cliAt(Path dir, Object command, String... args) {
        StringWriter out = new StringWriter();
        CommandLine cl = new CommandLine(command);
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(out));
        String[] full = new String[args.length + 1];
        full[0] = "--data";
        full[1] = dir.toString();
        System.arraycopy(args, 1, full, 2, args.length - 1);
        int code = cl.execute(full);
        System.out.println("patchfleet " + String.join(" ", args) + " (child) -> " + code + "\n" + out);
        return code;
    }

    private PatchRelease publish(long version, String name) throws Exception {
        return publish(version, name, KERNEL.release());
    }

    private PatchRelease publish(long version, String name, String moduleRelease) throws Exception {
        Path file = SimulatedModules.write(work.resolve(name + ".ko"), name, moduleRelease);
        byte[] module = Files.readAllBytes(file);
        String target = KernelRoles.targetName(KERNEL, name + ".ko");
        PatchRelease release = new PatchRelease(KERNEL, version, name, target, Sha256.digestOf(module), module.length,
                List.of(new Cve(String.format("CVE-2024-%05d", 26000 + version), Severity.MEDIUM)), "e2e patch " + version,
                Instant.now().minusSeconds(60), version - 1, false);
        Files.createDirectories(repo.targetPath(target).getParent());
        Files.write(repo.targetPath(target), module);
        trust.publisher().publish(repo, new PublishRequest(List.of(release), Set.of(), Duration.ofDays(30), Duration.ofDays(1)),
                keys, Instant.now());
        waitFor(() -> {
            try {
                return catalog.findByKernel(KERNEL).stream().anyMatch(r -> r.sha256().equals(release.sha256()));
            } catch (Exception e) {
                return false;
            }
        }, "the mirror fed the catalog version " + version);
        // The server offers a release once it holds the publisher metadata naming it.
        TimeUnit.SECONDS.sleep(2);
        return release;
    }

    private Path serverBlob(String hex) throws Exception {
        try (var walk = Files.walk(data())) {
            return walk.filter(p -> p.getFileName().toString().equals(hex) && Files.isRegularFile(p)).findFirst().orElseThrow();
        }
    }

    private void restartDaemon() throws Exception {
        restartDaemonWhile(() -> statusField("crashed") != null);
    }

    private void restartDaemonWhile(Supplier<Boolean> ready) throws Exception {
        var scr = context.getService(context.getServiceReference(org.osgi.service.component.runtime.ServiceComponentRuntime.class));
        var description = scr.getComponentDescriptionDTOs().stream()
                .filter(d -> d.name.equals("io.patchfleet.client.internal.ClientDaemon")).findFirst().orElseThrow();
        scr.disableComponent(description).getValue();
        scr.enableComponent(description).getValue();
        waitFor(() -> KERNEL.release().equals(kernelField("running")) && ready.get(), "the daemon restarted");
    }

    private Object statusField(String field) {
        Map<?, ?> s = statusVerbose();
        return s == null ? null : s.get(field);
    }

    private Map<?, ?> statusVerbose() {
        try {
            Map<String, Object> r = new ControlClient(DataDirectories.controlSocket(data())).call("status", Map.of("verbose", true));
            return (Map<?, ?>) r.get("result");
        } catch (Exception e) {
            return null;
        }
    }

    private int cli(Object command, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = new CommandLine(command);
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        String[] full = new String[args.length + 1];
        full[0] = "--data";
        full[1] = data().toString();
        System.arraycopy(args, 1, full, 2, args.length - 1);
        int code = cl.execute(full);
        System.out.println("patchfleet " + String.join(" ", args) + " -> " + code + "\n" + out + err);
        return code;
    }

    private Object kernelField(String field) {
        try {
            Map<String, Object> r = new ControlClient(DataDirectories.controlSocket(data())).call("status", Map.of());
            Map<?, ?> result = (Map<?, ?>) r.get("result");
            return result == null ? null : ((Map<?, ?>) result.get("kernel")).get(field);
        } catch (Exception e) {
            return null;
        }
    }

    private String base() {
        Object endpoint = runtime.getServiceReference().getProperty("osgi.http.endpoint");
        String url = endpoint instanceof String[] a ? a[0] : String.valueOf(endpoint);
        return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
    }

    private void update(String pid, Map<String, Object> values) throws Exception {
        Configuration c = configAdmin.getConfiguration(pid, "?");
        c.update(new Hashtable<>(values));
    }

    private static void waitFor(Supplier<Boolean> condition, String what) throws InterruptedException {
        waitFor(condition, what, 30);
    }

    private static void waitFor(Supplier<Boolean> condition, String what, int seconds) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (!condition.get()) {
            assertTrue(System.nanoTime() < deadline, what + " within " + seconds + " s");
            TimeUnit.MILLISECONDS.sleep(50);
        }
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
