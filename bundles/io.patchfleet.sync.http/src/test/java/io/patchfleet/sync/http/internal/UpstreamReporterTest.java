package io.patchfleet.sync.http.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;

import io.patchfleet.model.KernelId;
import io.patchfleet.model.Machine;
import io.patchfleet.model.MachineId;
import io.patchfleet.model.MachineReport;
import io.patchfleet.model.PatchState;
import io.patchfleet.model.TierName;
import io.patchfleet.store.api.HealthCount;
import io.patchfleet.store.api.MachineFilter;
import io.patchfleet.store.api.MachineStatus;
import io.patchfleet.store.api.MachineStore;
import io.patchfleet.store.api.RolloutDecision;
import io.patchfleet.store.api.StoredReport;
import io.patchfleet.sync.api.SyncException;

class UpstreamReporterTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final KernelId KERNEL = KernelId.of("5.15.0-91-generic", "x86_64", "");
    @TempDir
    Path dir;
    HttpServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.stop(0);
        }
    }

    /** The machines of a fleet, answering only what the reporter asks (counts, health, pages). */
    static final class Fleet implements MachineStore {
        final List<MachineStatus> all = new ArrayList<>();

        Fleet(int machines) {
            for (int i = 0; i < machines; i++) {
                Machine m = new Machine(MachineId.of(String.format("%032x", i + 1)), TierName.of(i % 3 == 0 ? "edge" : "stable"),
                        Set.of(), Instant.EPOCH);
                Optional<StoredReport> r = i % 5 == 4 ? Optional.empty()
                        : Optional.of(new StoredReport(new MachineReport(m.id(), KERNEL, PatchState.APPLIED, 3, "1.0.0", Instant.EPOCH,
                                Duration.ofHours(1), List.of()), Instant.parse("2026-03-01T10:00:00Z")));
                all.add(new MachineStatus(m, r));
            }
        }

        @Override
        public List<MachineStatus> query(MachineFilter filter, int offset, int limit) {
            if (offset < 0 || limit < 1 || limit > 1000) {
                throw new IllegalArgumentException("the store's page limit is 1..1000"); // as JdbcMachineStore
            }
            return all.subList(Math.min(offset, all.size()), Math.min(all.size(), offset + limit));
        }

        @Override
        public long count(MachineFilter filter) {
            return all.size();
        }

        @Override
        public List<HealthCount> patchHealth(MachineFilter filter) {
            Map<String, Long> cells = new TreeMap<>();
            for (MachineStatus s : all) {
                String state = s.lastReport().map(r -> r.report().patchState().wireName()).orElse("needs-check");
                cells.merge(s.machine().tier().value() + " " + state, 1L, Long::sum);
            }
            List<HealthCount> out = new ArrayList<>();
            cells.forEach((k, v) -> {
                String[] p = k.split(" ");
                PatchState st = PatchState.fromWire(p[1]);
                out.add(new HealthCount(TierName.of(p[0]), st == PatchState.APPLIED ? 3 : 0, st, v));
            });
            return out;
        }

        @Override
        public Machine enroll(Machine machine) {
            throw new UnsupportedOperationException();
        }

        @Override
        public Optional<Machine> find(MachineId id) {
            throw new UnsupportedOperationException();
        }

        @Override
        public List<Machine> findByTier(TierName tier, int offset, int limit) {
            throw new UnsupportedOperationException();
        }

        @Override
        public void recordReport(StoredReport report) {
            throw new UnsupportedOperationException();
        }

        @Override
        public Optional<StoredReport> lastReport(MachineId id) {
            throw new UnsupportedOperationException();
        }

        @Override
        public List<StoredReport> reports(MachineId id, Instant since, int limit) {
            throw new UnsupportedOperationException();
        }

        @Override
        public boolean remove(MachineId id) {
            throw new UnsupportedOperationException();
        }

        @Override
        public long deleteReportsBefore(Instant cutoff) {
            throw new UnsupportedOperationException();
        }

        @Override
        public boolean recordDecision(MachineId id, RolloutDecision decision) {
            throw new UnsupportedOperationException();
        }

        @Override
        public Optional<RolloutDecision> lastDecision(MachineId id) {
            throw new UnsupportedOperationException();
        }
    }

    @Test
    void offSendsNothingAndSummarySendsCountsButNoMachine() throws Exception {
        UpstreamReporter reporter = new UpstreamReporter(dir, new Fleet(10), "1.0.0");
        assertTrue(reporter.bodies(UpstreamReporter.Mode.OFF).isEmpty());
        List<Map<String, Object>> bodies = reporter.bodies(UpstreamReporter.Mode.SUMMARY);
        assertEquals(1, bodies.size());
        Map<String, Object> b = bodies.get(0);
        assertEquals(10L, b.get("machines"));
        assertEquals(Map.of("edge", 4L, "stable", 6L), b.get("tiers"));
        assertEquals(Map.of("applied", 8L, "needs-check", 2L), b.get("states"));
        assertTrue(!b.containsKey("machineStates"), "summary mode sends no machine");
        assertEquals(reporter.deploymentId(), b.get("deploymentId"));
        assertEquals(reporter.deploymentId(), new UpstreamReporter(dir, new Fleet(1), "1.0.0").deploymentId(),
                "the deployment id is created once and kept in the data folder");
        assertNotEquals(reporter.deploymentId(), new UpstreamReporter(dir.resolve("other"), new Fleet(1), "1.0.0").deploymentId());
    }

    @Test
    void machinesModeSendsKeyedHashesNeverIdsInBatches() throws Exception {
        Fleet fleet = new Fleet(UpstreamReporter.BATCH + 500);
        UpstreamReporter reporter = new UpstreamReporter(dir, fleet, "1.0.0");
        List<Map<String, Object>> bodies = reporter.bodies(UpstreamReporter.Mode.MACHINES);
        assertEquals(2, bodies.size(), "two batches");
        assertEquals(bodies.get(0).get("reportId"), bodies.get(1).get("reportId"));
        assertEquals(1, bodies.get(1).get("batch"));
        Set<String> raw = new HashSet<>();
        fleet.all.forEach(s -> raw.add(s.machine().id().value()));
        Set<String> hashes = new HashSet<>();
        for (Map<String, Object> b : bodies) {
            @SuppressWarnings("unchecked")
            List<Map<String, Object>> states = (List<Map<String, Object>>) b.get("machineStates");
            for (Map<String, Object> m : states) {
                String h = (String) m.get("id");
                assertTrue(h.matches("[0-9a-f]{64}"), h);
                assertTrue(!raw.contains(h), "a raw machine id left the server");
                hashes.add(h);
            }
        }
        assertEquals(fleet.all.size(), hashes.size(), "every machine, each once");
        String body = JSON.writeValueAsString(bodies);
        for (String id : raw) {
            assertTrue(!body.contains(id), "raw id " + id + " in the report");
        }
        // stable for this server (the secret is kept), different for another server (another secret)
        assertEquals(hashes.iterator().next().length(), 64);
        Set<String> again = new HashSet<>();
        for (Map<String, Object> b : new UpstreamReporter(dir, fleet, "1.0.0").bodies(UpstreamReporter.Mode.MACHINES)) {
            ((List<?>) b.get("machineStates")).forEach(m -> again.add((String) ((Map<?, ?>) m).get("id")));
        }
        assertEquals(hashes, again);
        Set<String> other = new HashSet<>();
        for (Map<String, Object> b : new UpstreamReporter(dir.resolve("b"), fleet, "1.0.0").bodies(UpstreamReporter.Mode.MACHINES)) {
            ((List<?>) b.get("machineStates")).forEach(m -> other.add((String) ((Map<?, ?>) m).get("id")));
        }
        assertTrue(java.util.Collections.disjoint(hashes, other), "another server's secret gives other hashes");
        String secret = Files.readString(dir.resolve("report-secret")).strip();
        assertEquals(64, secret.length());
        assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("report-secret"))));
    }

    @Test
    void sendPostsEachBatchWithTheTokenAndARefusalIsUnauthorized() throws Exception {
        List<JsonNode> received = new CopyOnWriteArrayList<>();
        List<String> auth = new CopyOnWriteArrayList<>();
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/v1/sync/reports", ex -> {
            auth.add(ex.getRequestHeaders().getFirst("Authorization"));
            byte[] in = ex.getRequestBody().readAllBytes();
            boolean ok = "Bearer good".equals(ex.getRequestHeaders().getFirst("Authorization"));
            if (ok) {
                received.add(JSON.readTree(in));
            }
            byte[] out = (ok ? "{\"stored\":true}" : "{\"error\":\"unauthorized\"}").getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(ok ? 202 : 401, out.length);
            ex.getResponseBody().write(out);
            ex.close();
        });
        server.start();
        URI base = URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/");
        HttpClient http = HttpClient.newHttpClient();
        UpstreamReporter reporter = new UpstreamReporter(dir, new Fleet(UpstreamReporter.BATCH + 1), "1.0.0");
        UpstreamReporter.Sent sent = reporter.send(http, base, "good", Duration.ofSeconds(10), UpstreamReporter.Mode.MACHINES);
        assertEquals(2, sent.requests());
        assertEquals(UpstreamReporter.BATCH + 1, sent.machines());
        assertEquals(2, received.size());
        assertEquals(UpstreamReporter.BATCH + 1, received.get(0).path("machines").asLong());
        SyncException e = assertThrows(SyncException.class,
                () -> reporter.send(http, base, "bad", Duration.ofSeconds(10), UpstreamReporter.Mode.SUMMARY));
        assertEquals(SyncException.Reason.UNAUTHORIZED, e.reason());
        assertEquals(List.of("Bearer good", "Bearer good", "Bearer bad"), auth);
        assertThrows(IllegalArgumentException.class, () -> UpstreamReporter.Mode.of("all"));
    }

}
