package io.patchfleet.client.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.reflect.Proxy;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.patchfleet.kernel.api.ApplyOptions;
import io.patchfleet.kernel.api.ApplyResult;
import io.patchfleet.kernel.api.KernelApplier;
import io.patchfleet.kernel.api.KernelException;
import io.patchfleet.kernel.api.LoadedPatch;
import io.patchfleet.kernel.api.Preflight;
import io.patchfleet.kernel.linux.LinuxApplier;
import io.patchfleet.kernel.simulated.SimulatedKernel;
import io.patchfleet.kernel.simulated.SimulatedModules;
import io.patchfleet.model.KernelId;
import io.patchfleet.protocol.CheckInRequest.WireEvent;
import io.patchfleet.protocol.CheckInResponse;
import io.patchfleet.trust.tuf.Tuf;

/** The agent built by hand: the server down, a crash during insertion, the check interval. */
class ClientDaemonTest {
    @TempDir
    Path data;

    @Test
    void whileTheServerIsDownTheCheckFailsClearlyAndNoEventIsLost() throws Exception {
        // Given an enabled machine with a queued event, and a server that is not listening
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        ClientFiles files = new ClientFiles(data.resolve("client"));
        JsonFiles.write(files.enrollment, new Enrollment("0123456789abcdef0123456789abcdef", "secret",
                "http://127.0.0.1:" + port, "edge", Map.of(), "ab".repeat(32), false, Instant.now().toString()));
        files.events.append(new WireEvent("after-insert", Instant.now().toString(), 1, "lkp_1"));
        ClientDaemon daemon = daemon(Map.of("dial_timeout", "2s"));
        try {
            // When it checks in
            assertThrows(IOException.class, daemon::check);
            // Then the state says why, and the event waits for the next check-in
            assertEquals("check-failed", daemon.state().checkState());
            assertTrue(daemon.state().lastError().contains("127.0.0.1:" + port), daemon.state().lastError());
            assertEquals(1, new ClientFiles(data.resolve("client")).events.snapshot().size());
            assertEquals("check-failed", new ClientFiles(data.resolve("client")).state().checkState(), "saved");
        } finally {
            daemon.deactivate();
        }
    }

    @Test
    void aMarkerLeftByAnInterruptedInsertionMarksThatPatchCrashed() throws Exception {
        ClientFiles files = new ClientFiles(data.resolve("client"));
        new CrashGuard(files.attempt).begin(4, "cd".repeat(32), "boot-1", false, Instant.now());
        Files.writeString(data.resolve("boot-id"), "boot-1\n");
        ClientDaemon daemon = daemon(Map.of("boot_id_file", data.resolve("boot-id").toString()));
        try {
            daemon.startUp();
            assertEquals(4, daemon.state().crashed().version());
            assertEquals("apply-failed", daemon.state().patchState());
            assertTrue(Files.notExists(files.attempt));
            assertEquals("error", files.events.snapshot().get(0).event().kind());
        } finally {
            daemon.deactivate();
        }
    }

    @Test
    void aRebootInsideTheSettleWindowCountsAsACrashButADaemonRestartDoesNot() throws Exception {
        ClientFiles files = new ClientFiles(data.resolve("client"));
        Files.writeString(data.resolve("boot-id"), "boot-2\n");
        new CrashGuard(files.attempt).begin(5, "ef".repeat(32), "boot-2", true, Instant.now());
        ClientDaemon same = daemon(Map.of("boot_id_file", data.resolve("boot-id").toString()));
        same.startUp();
        same.deactivate();
        assertNull(same.state().crashed(), "the daemon restarted, the machine did not");

        new CrashGuard(files.attempt).begin(5, "ef".repeat(32), "boot-1", true, Instant.now());
        ClientDaemon rebooted = daemon(Map.of("boot_id_file", data.resolve("boot-id").toString()));
        rebooted.startUp();
        rebooted.deactivate();
        assertEquals(5, rebooted.state().crashed().version());
    }

    @Test
    void theIntervalIsJitteredManualMeansNoneAndTheServerMayAskSooner() throws Exception {
        ClientDaemon hourly = daemon(Map.of("check_interval", 60));
        Duration d = hourly.intervalDelay(0);
        assertTrue(d.compareTo(Duration.ofMinutes(54)) >= 0 && d.compareTo(Duration.ofMinutes(66)) <= 0, d.toString());
        assertEquals(Duration.ofSeconds(120), hourly.intervalDelay(120));
        hourly.deactivate();
        ClientDaemon manual = daemon(Map.of());
        assertNull(manual.intervalDelay(120));
        manual.deactivate();
    }

    @Test
    void theLogLevelOfTheConfigurationAppliesWithoutARestart() throws Exception {
        ClientDaemon daemon = daemon(Map.of("log_level", "warn"));
        try {
            assertEquals(org.slf4j.event.Level.WARN, AgentLog.threshold(), "at activation");
            daemon.modified(config(Map.of("log_level", "debug")));
            assertEquals(org.slf4j.event.Level.DEBUG, AgentLog.threshold(), "on a configuration change");
            daemon.modified(config(Map.of("log_level", "error")));
            assertEquals(org.slf4j.event.Level.ERROR, AgentLog.threshold());
            assertTrue(!AgentLog.logger(ClientDaemonTest.class).isWarnEnabled(), "warn is gated at level error");
        } finally {
            daemon.modified(config(Map.of()));
            daemon.deactivate();
        }
        assertEquals(org.slf4j.event.Level.INFO, AgentLog.threshold(), "the default");
    }

    @Test
    void healthChecksLeftOnDiskAreSentAfterARestartAndTheRestAtTheirTime() throws Exception {
        // Given an apply whose 1 min check was due before the daemon started again, and whose 1 h check is not due
        HealthSchedule schedule = new HealthSchedule(data.resolve("client/health.json"));
        Instant applied = Instant.now().minus(Duration.ofMinutes(3));
        List<HealthSchedule.Check> checks = schedule.start(4, "lkp_4", HealthSchedule.delays("1m, 1h"), applied);
        assertEquals(applied.plus(Duration.ofMinutes(1)), checks.get(0).due());
        // When the daemon starts
        ClientDaemon daemon = daemon(Map.of());
        daemon.startUp();
        try {
            // Then the overdue check is sent at once, saying it is late, and only the 1 h check is left
            ClientFiles files = new ClientFiles(data.resolve("client"));
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (files.events.snapshot().isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            List<EventQueue.Entry> events = files.events.snapshot();
            assertEquals(1, events.size(), events.toString());
            assertEquals("health-ping", events.get(0).event().kind());
            assertEquals(4, events.get(0).event().patchVersion());
            assertTrue(events.get(0).event().detail().startsWith("1m after the apply (sent "), events.get(0).event().detail());
            assertEquals(List.of("1h"), new HealthSchedule(data.resolve("client/health.json")).pending().stream()
                    .map(HealthSchedule.Check::after).toList(), "the 1 h check stays scheduled on disk");
        } finally {
            daemon.deactivate();
        }
        assertThrows(IllegalArgumentException.class, () -> HealthSchedule.delays("1m,soon"));
    }

    @Test
    void theHeldReasonOfTheCheckInAnswerShowsInStatusAndStaysAfterA304() throws Exception {
        // Given a server (real HTTP on loopback) that holds the machine for a maintenance window
        String held = "held: maintenance window nightly opens 2026-11-27 02:00 UTC";
        java.util.List<Map<String, Long>> calls = new java.util.concurrent.CopyOnWriteArrayList<>();
        com.sun.net.httpserver.HttpServer server = recordingServer(calls, "{\"kernelSupport\":\"supported\",\"metadata\":{},"
                + "\"directive\":null,\"reason\":\"" + held + "\",\"nextCheckInSeconds\":3600}");
        enrolledWith(server);
        ClientDaemon daemon = daemon(Map.of("dial_timeout", "5s"));
        try {
            // When it checks in, then its status says why it has no patch
            daemon.check();
            assertEquals(held, daemon.status(false).get("message"));
            // and an unchanged answer (304, no body) keeps the reason
            daemon.check();
            assertEquals(2, calls.size());
            assertEquals(held, daemon.status(false).get("message"));
            assertEquals(held, new ClientFiles(data.resolve("client")).state().reason(), "saved for the CLI and restarts");
        } finally {
            daemon.deactivate();
            server.stop(0);
        }
    }

    @Test
    void aRestartedDaemonSendsTheTrustedVersionsItRememberedWithoutOpeningTheVerifier() throws Exception {
        // Given a machine whose state remembers the trusted versions and the last answer's ETag,
        // and a server (real HTTP on loopback) that answers that ETag with 304
        java.util.List<Map<String, Long>> sent = new java.util.concurrent.CopyOnWriteArrayList<>();
        com.sun.net.httpserver.HttpServer server = recordingServer(sent, "{\"kernelSupport\":\"supported\",\"metadata\":{},"
                + "\"directive\":null,\"reason\":null,\"nextCheckInSeconds\":3600}");
        ClientFiles files = enrolledWith(server);
        Map<String, Long> remembered = Map.of("timestamp", 41L, "snapshot", 17L, "targets", 9L, "kernel-6.1.0-56-amd64", 5L);
        files.save(AgentState.initial().withCheck("checked", "supported", null, null, null, "\"e1\"", null)
                .withTrusted(remembered));
        java.util.concurrent.atomic.AtomicInteger opened = new java.util.concurrent.atomic.AtomicInteger();
        ClientDaemon daemon = daemon(Map.of("dial_timeout", "5s"), countingOpens(opened));
        try {
            // When it checks in
            assertTrue(daemon.check().isEmpty(), "304: nothing changed");

            // Then it told the server what it remembered, and never read the trusted store for it
            assertEquals(List.of(remembered), sent);
            assertEquals(0, opened.get(), "the verifier was not opened for a no-change check-in");
            assertEquals("checked", daemon.state().checkState());
        } finally {
            daemon.deactivate();
            server.stop(0);
        }
    }

    @Test
    void withoutRememberedVersionsTheCheckInAsksTheVerifierAndARefusedAnswerForgetsThem() throws Exception {
        // Given a machine that remembers nothing, and a server whose answer carries a directive that
        // cannot be verified (no publisher metadata to check it against: the update fails)
        java.util.List<Map<String, Long>> sent = new java.util.concurrent.CopyOnWriteArrayList<>();
        com.sun.net.httpserver.HttpServer server = recordingServer(sent, "{\"kernelSupport\":\"supported\",\"metadata\":{},"
                + "\"directive\":\"{}\",\"reason\":null,\"nextCheckInSeconds\":3600}");
        ClientFiles files = enrolledWith(server);
        java.util.concurrent.atomic.AtomicInteger opened = new java.util.concurrent.atomic.AtomicInteger();
        ClientDaemon daemon = daemon(Map.of("dial_timeout", "5s"), countingOpens(opened));
        try {
            // When it checks in, the verifier is opened for the versions (an empty store: none)
            IOException refused = assertThrows(IOException.class, daemon::check);
            assertTrue(refused.getMessage().contains("root.json"), refused.getMessage());
            assertEquals(1, opened.get());
            assertEquals(List.of(Map.of()), sent);
            // and the answer it could not verify leaves nothing remembered: the next check-in reads
            // the trusted store again
            assertEquals(Map.of(), files.state().trusted());
            assertThrows(IOException.class, daemon::check);
            assertEquals(2, opened.get(), "the verifier is read again after a refused answer");

            // and versions remembered on disk are dropped the same way: a state that claims versions
            // the server's answer cannot be verified against is forgotten, not kept
            daemon.deactivate();
            files.save(files.state().withTrusted(Map.of("timestamp", 1_000_000L)));
            daemon = daemon(Map.of("dial_timeout", "5s"), countingOpens(opened));
            assertThrows(IOException.class, daemon::check);
            assertEquals(Map.of("timestamp", 1_000_000L), sent.get(2), "sent as remembered");
            assertEquals(Map.of(), files.state().trusted(), "forgotten once the answer did not verify");
        } finally {
            daemon.deactivate();
            server.stop(0);
        }
    }

    /** A check-in endpoint that records each request's trusted versions, answers 304 to ETag e1, else BODY with ETag e1. */
    private static com.sun.net.httpserver.HttpServer recordingServer(List<Map<String, Long>> sent, String body) throws IOException {
        com.sun.net.httpserver.HttpServer server = com.sun.net.httpserver.HttpServer.create(
                new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/v1/check-in", exchange -> {
            io.patchfleet.protocol.CheckInRequest request = new com.fasterxml.jackson.databind.ObjectMapper()
                    .readValue(exchange.getRequestBody(), io.patchfleet.protocol.CheckInRequest.class);
            sent.add(request.trustedVersions());
            if ("\"e1\"".equals(exchange.getRequestHeaders().getFirst("If-None-Match"))) {
                exchange.sendResponseHeaders(304, -1);
            } else {
                byte[] bytes = body.getBytes(java.nio.charset.StandardCharsets.UTF_8);
                exchange.getResponseHeaders().add("Content-Type", "application/json");
                exchange.getResponseHeaders().add("ETag", "\"e1\"");
                exchange.sendResponseHeaders(200, bytes.length);
                exchange.getResponseBody().write(bytes);
            }
            exchange.close();
        });
        server.start();
        return server;
    }

    private ClientFiles enrolledWith(com.sun.net.httpserver.HttpServer server) throws IOException {
        ClientFiles files = new ClientFiles(data.resolve("client"));
        JsonFiles.write(files.enrollment, new Enrollment("0123456789abcdef0123456789abcdef", "secret",
                "http://127.0.0.1:" + server.getAddress().getPort(), "stable", Map.of(), "ab".repeat(32), false,
                Instant.now().toString()));
        return files;
    }

    /** The real TUF trust service, counting how often a verifier is opened. */
    private static io.patchfleet.trust.api.TrustService countingOpens(java.util.concurrent.atomic.AtomicInteger opened) {
        io.patchfleet.trust.api.TrustService real = Tuf.trustService();
        return (io.patchfleet.trust.api.TrustService) Proxy.newProxyInstance(ClientDaemonTest.class.getClassLoader(),
                new Class<?>[] {io.patchfleet.trust.api.TrustService.class}, (proxy, method, args) -> {
                    if (method.getName().equals("open")) {
                        opened.incrementAndGet();
                    }
                    try {
                        return method.invoke(real, args);
                    } catch (java.lang.reflect.InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }

    @Test
    void theServersHintHoldsAfterAnUnchangedAnswerThatCarriesNone() throws Exception {
        ClientDaemon hourly = daemon(Map.of("check_interval", 60));
        try {
            // Given a server that asked for a check-in every 30 s
            CheckInResponse full = new CheckInResponse("supported", Map.of(), null, null, 30);
            assertEquals(Duration.ofSeconds(30), hourly.delayAfterCheck(Optional.of(full)));
            // When its next answer is 304 (no body, no hint), the hint still holds
            assertEquals(Duration.ofSeconds(30), hourly.delayAfterCheck(Optional.empty()));
            // and a later hint replaces it
            assertEquals(Duration.ofSeconds(90),
                    hourly.delayAfterCheck(Optional.of(new CheckInResponse("supported", Map.of(), null, null, 90))));
        } finally {
            hourly.deactivate();
        }
    }

    @Test
    void aRevertUnloadsAModuleWhoseLivepatchWasAlreadyDisabled() throws Exception {
        // Given the real Linux applier on a simulated kernel running lkp_7, whose livepatch is then
        // disabled behind the agent's back: the sysfs directory goes, the module stays (as the
        // kernel-e2e guest once showed after a revert)
        Path root = data.resolve("kernel");
        try (SimulatedKernel sim = new SimulatedKernel(root, SimulatedKernel.Settings.defaults()
                .withBehaviour(SimulatedKernel.Behaviour.NORMAL.withTransitionTime(Duration.ofMillis(50))))) {
            LinuxApplier applier = new LinuxApplier(root, sim,
                    new LinuxApplier.Settings(Duration.ofMillis(20), 5, Duration.ofMillis(100), Duration.ofSeconds(3)));
            Path ko = SimulatedModules.write(data.resolve("lkp_7.ko"), "lkp_7", "6.1.0-56-amd64", "x86_64");
            applier.apply(ko, "lkp_7", new ApplyOptions(Duration.ofSeconds(5), true, true));
            Files.writeString(root.resolve("sys/kernel/livepatch/lkp_7/enabled"), "0");
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (Files.exists(root.resolve("sys/kernel/livepatch/lkp_7")) && System.nanoTime() < deadline) {
                Thread.sleep(10); // polled, bounded by the deadline
            }
            assertTrue(Files.notExists(root.resolve("sys/kernel/livepatch/lkp_7")), "the livepatch was disabled");
            assertTrue(Files.isDirectory(root.resolve("sys/module/lkp_7")), "its module is still loaded");

            ClientFiles files = new ClientFiles(data.resolve("client"));
            files.saveEnrollment(new Enrollment("0123456789abcdef0123456789abcdef", "secret", "http://127.0.0.1:9",
                    "edge", Map.of(), "ab".repeat(32), false, Instant.now().toString()));
            AgentState.AppliedPatch applied = new AgentState.AppliedPatch("lkp_7", 7, "t/lkp_7.ko", "cd".repeat(32),
                    Files.size(ko), ko.toString(), List.of(), "test", Instant.now().toString());
            files.save(AgentState.initial().withApplied(applied, null));
            ClientDaemon daemon = new ClientDaemon(data, data.resolve("etc"), "test", config(Map.of("check_interval", 0,
                    "machine_id_file", data.resolve("no-machine-id").toString(), "boot_id_file",
                    data.resolve("no-boot-id").toString())), applier, Tuf.trustService(), false);
            try {
                // When the operator disables the machine with unloading
                Map<String, Object> answer = daemon.disable(true);

                // Then the module is gone from the kernel, and only then is the patch recorded as reverted
                assertTrue(Files.notExists(root.resolve("sys/module/lkp_7")), "the module was unloaded");
                assertEquals(true, answer.get("unloaded"));
                assertNull(daemon.state().applied());
                assertEquals(7, daemon.state().previous().version());
            } finally {
                daemon.deactivate();
            }
        }
    }

    private ClientDaemon daemon(Map<String, Object> overrides) throws IOException {
        return daemon(overrides, Tuf.trustService());
    }

    private ClientDaemon daemon(Map<String, Object> overrides, io.patchfleet.trust.api.TrustService trust) throws IOException {
        Map<String, Object> values = new java.util.HashMap<>(Map.of("check_interval", 0, "cmdline_file",
                data.resolve("no-cmdline").toString(), "machine_id_file", data.resolve("no-machine-id").toString(),
                "boot_id_file", data.resolve("no-boot-id").toString()));
        values.putAll(overrides);
        return new ClientDaemon(data, data.resolve("etc"), "test", config(values), new FakeKernel(), trust, false);
    }

    private ClientDaemon.Config config(Map<String, Object> values) {
        return (ClientDaemon.Config) Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] {ClientDaemon.Config.class}, (proxy, method, args) -> values.containsKey(method.getName())
                        ? values.get(method.getName()) : method.getDefaultValue());
    }

    /** A kernel that runs no patch and refuses every change. */
    static final class FakeKernel implements KernelApplier {
        @Override
        public KernelId runningKernel() {
            return KernelId.of("6.1.0-56-amd64", "x86_64", "");
        }

        @Override
        public List<LoadedPatch> loadedPatches() {
            return List.of();
        }

        @Override
        public Preflight preflight() {
            return new Preflight(true, false, Preflight.Lockdown.NONE, true, List.of());
        }

        @Override
        public ApplyResult apply(Path moduleFile, String expectedPatchName, ApplyOptions options) throws KernelException {
            throw new KernelException(KernelException.Reason.NOT_PERMITTED, "fake");
        }

        @Override
        public void disable(String patchName, Duration transitionTimeout) throws KernelException {
            throw new KernelException(KernelException.Reason.NOT_FOUND, "fake");
        }

        @Override
        public void unload(String patchName) throws KernelException {
            throw new KernelException(KernelException.Reason.NOT_FOUND, "fake");
        }
    }
}
