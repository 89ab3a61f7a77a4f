package io.patchfleet.sync.http.internal;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import com.fasterxml.jackson.databind.ObjectMapper;

import io.patchfleet.model.MachineId;
import io.patchfleet.store.api.HealthCount;
import io.patchfleet.store.api.MachineFilter;
import io.patchfleet.store.api.MachineStatus;
import io.patchfleet.store.api.MachineStore;
import io.patchfleet.store.api.StoreException;
import io.patchfleet.sync.api.SyncException;

/**
 * Opt-in reports to the upstream ({@code upstream.reports}): {@code off} sends nothing;
 * {@code summary} sends this deployment's id and its machine counts (per tier and per patch
 * state); {@code machines} adds each machine's tier, kernel release, patch state and version, its
 * id replaced by HMAC-SHA-256 with this server's report secret — the upstream can follow a machine
 * from report to report but never learn its {@code /etc/machine-id}, and two downstreams' hashes
 * of one id differ.
 *
 * <p>The deployment id (a random UUID) and the report secret (32 random bytes) are created once
 * and kept in {@code DATA/sync/deployment-id} and {@code DATA/sync/report-secret} (owner-only),
 * so they survive restarts and upgrades; deleting them starts a new identity. Machine states go
 * in batches of {@link #BATCH} (one POST each, well under the upstream's 1 MiB body limit), all
 * with the same report id; batch 0 replaces what the upstream held.
 */
final class UpstreamReporter {
    static final int BATCH = 2000;
    /** Machines read from the store at once (its page limit is 1,000). */
    static final int PAGE = 500;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path syncDir;
    private final MachineStore machines;
    private final String serverVersion;

    UpstreamReporter(Path syncDir, MachineStore machines, String serverVersion) {
        this.syncDir = syncDir;
        this.machines = machines;
        this.serverVersion = serverVersion.length() > 64 ? serverVersion.substring(0, 64) : serverVersion;
    }

    /** The report modes of {@code upstream.reports}. */
    enum Mode {
        OFF, SUMMARY, MACHINES;

        static Mode of(String value) {
            try {
                return valueOf(value.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("upstream.reports must be off, summary or machines, not '" + value + "'");
            }
        }

        String wireName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** This deployment's id, created on first use. */
    String deploymentId() throws IOException {
        return readOrCreate("deployment-id", () -> UUID.randomUUID().toString());
    }

    private byte[] secret() throws IOException {
        return HexFormat.of().parseHex(readOrCreate("report-secret", () -> {
            byte[] b = new byte[32];
            new SecureRandom().nextBytes(b);
            return HexFormat.of().formatHex(b);
        }));
    }

    private synchronized String readOrCreate(String name, java.util.function.Supplier<String> create) throws IOException {
        Path file = syncDir.resolve(name);
        if (Files.isRegularFile(file)) {
            String v = Files.readString(file, StandardCharsets.US_ASCII).strip();
            if (!v.isEmpty()) {
                return v;
            }
        }
        Files.createDirectories(syncDir);
        Path tmp = syncDir.resolve(name + ".tmp");
        Files.deleteIfExists(tmp);
        try {
            Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } catch (UnsupportedOperationException notPosix) {
            Files.createFile(tmp);
        }
        String v = create.get();
        Files.writeString(tmp, v + "\n", StandardCharsets.US_ASCII);
        try (var ch = java.nio.channels.FileChannel.open(tmp, java.nio.file.StandardOpenOption.WRITE)) {
            ch.force(true);
        }
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        return v;
    }

    /** The keyed hash of a machine id that leaves this server instead of the id. */
    static String hash(byte[] secret, MachineId id) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret, "HmacSHA256"));
            return HexFormat.of().formatHex(mac.doFinal(id.value().getBytes(StandardCharsets.UTF_8)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is part of every Java runtime", e);
        }
    }

    /** The request bodies of one report: one for {@code summary}, one per {@link #BATCH} machines for {@code machines}. */
    List<Map<String, Object>> bodies(Mode mode) throws IOException, StoreException {
        if (mode == Mode.OFF) {
            return List.of();
        }
        String reportId = UUID.randomUUID().toString();
        Map<String, Long> tiers = new TreeMap<>();
        Map<String, Long> states = new TreeMap<>();
        long total = 0;
        for (HealthCount h : machines.patchHealth(MachineFilter.ALL)) {
            tiers.merge(h.tier().value(), h.machines(), Long::sum);
            states.merge(h.state().wireName(), h.machines(), Long::sum);
            total += h.machines();
        }
        Map<String, Object> first = new LinkedHashMap<>();
        first.put("deploymentId", deploymentId());
        first.put("mode", mode.wireName());
        first.put("serverVersion", serverVersion);
        first.put("reportId", reportId);
        first.put("batch", 0);
        first.put("machines", total);
        first.put("tiers", tiers);
        first.put("states", states);
        List<Map<String, Object>> out = new ArrayList<>();
        if (mode == Mode.SUMMARY) {
            out.add(first);
            return out;
        }
        byte[] secret = secret();
        List<Map<String, Object>> batch = new ArrayList<>();
        int offset = 0;
        while (true) {
            List<MachineStatus> page = machines.query(MachineFilter.ALL, offset, PAGE);
            for (MachineStatus s : page) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("id", hash(secret, s.machine().id()));
                m.put("tier", s.machine().tier().value());
                m.put("kernel", s.lastReport().map(r -> r.report().kernel().release()).orElse(""));
                m.put("state", s.lastReport().map(r -> r.report().patchState().wireName()).orElse("needs-check"));
                m.put("patchVersion", s.lastReport().map(r -> r.report().patchVersion()).orElse(0L));
                m.put("lastSeen", s.lastReport().map(r -> r.receivedAt().toString()).orElse(null));
                batch.add(m);
                if (batch.size() == BATCH) {
                    out.add(batchBody(out.isEmpty() ? first : null, reportId, out.size(), batch));
                    batch = new ArrayList<>();
                }
            }
            if (page.size() < PAGE) {
                break;
            }
            offset += page.size();
        }
        if (!batch.isEmpty() || out.isEmpty()) {
            out.add(batchBody(out.isEmpty() ? first : null, reportId, out.size(), batch));
        }
        return out;
    }

    private Map<String, Object> batchBody(Map<String, Object> first, String reportId, int index, List<Map<String, Object>> states)
            throws IOException {
        Map<String, Object> body = first != null ? first : new LinkedHashMap<>();
        if (first == null) {
            body.put("deploymentId", deploymentId());
            body.put("mode", Mode.MACHINES.wireName());
            body.put("serverVersion", serverVersion);
            body.put("reportId", reportId);
            body.put("batch", index);
        }
        body.put("machineStates", states);
        return body;
    }

    /** What one send did, for the sync status. */
    record Sent(String deploymentId, int requests, long machines, long bytes) {}

    /**
     * Sends one report to {@code POST /v1/sync/reports} of the upstream.
     *
     * @throws SyncException when the upstream refuses it (token, body) or cannot be reached
     */
    Sent send(HttpClient http, URI base, String token, Duration timeout, Mode mode) throws SyncException {
        try {
            List<Map<String, Object>> bodies = bodies(mode);
            long bytes = 0;
            for (Map<String, Object> body : bodies) {
                byte[] json = JSON.writeValueAsBytes(body);
                bytes += json.length;
                HttpRequest req = HttpRequest.newBuilder(base.resolve("v1/sync/reports")).timeout(timeout)
                        .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofByteArray(json)).build();
                HttpResponse<String> r = http.send(req, HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() / 100 != 2) {
                    SyncException.Reason reason = r.statusCode() == 401 || r.statusCode() == 403 ? SyncException.Reason.UNAUTHORIZED
                            : r.statusCode() == 404 ? SyncException.Reason.NOT_FOUND : SyncException.Reason.PROTOCOL;
                    String text = r.body() == null ? "" : r.body();
                    throw new SyncException(reason, "the upstream answered " + r.statusCode() + " to the report: "
                            + (text.length() > 300 ? text.substring(0, 300) : text));
                }
            }
            long total = bodies.isEmpty() ? 0 : ((Number) bodies.get(0).get("machines")).longValue();
            return new Sent(deploymentId(), bodies.size(), total, bytes);
        } catch (StoreException e) {
            throw new SyncException(SyncException.Reason.STORAGE, "cannot read this server's machines: " + e.getMessage(), e);
        } catch (IOException e) {
            throw new SyncException(SyncException.Reason.UNREACHABLE, "cannot send the report: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SyncException(SyncException.Reason.UNREACHABLE, "interrupted while sending the report", e);
        }
    }
}
