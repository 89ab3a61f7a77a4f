package io.patchfleet.server.http.internal;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import java.io.StringWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The structured access log: one JSON object per request and line in
 * {@code DATA/log/access.log} — time, request id, client address, method, path, matched route,
 * status, duration, and who (machine id or admin user) — for log shippers that parse JSON lines.
 * The request id is the one the response's {@code X-Request-Id} and any error body name.
 *
 * <p>Off by default ({@code access.log}): at ten thousand check-ins a second it is 2–3 MB/s of
 * log. Requests never wait for the disk: lines go through a bounded queue to a writer thread, and
 * when the disk cannot keep up lines are dropped and counted (a warning says how many, at most
 * once a minute) rather than slowing check-ins. The file is rotated at a size
 * ({@code access.log.max.mb}) into {@code access.log.1 … .N} ({@code access.log.files}).
 */
final class AccessLog implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(AccessLog.class);
    private static final JsonFactory JSON = new JsonFactory();

    private final Path file;
    private final long maxBytes;
    private final int files;
    private final ArrayBlockingQueue<String> queue = new ArrayBlockingQueue<>(65_536);
    private final AtomicLong dropped = new AtomicLong();
    private final Thread writer;
    private volatile boolean closed;
    private long lastDropWarning;

    AccessLog(Path file, long maxBytes, int files) throws IOException {
        this.file = file;
        this.maxBytes = maxBytes;
        this.files = Math.max(1, files);
        Files.createDirectories(file.getParent());
        writer = new Thread(this::run, "patchfleet-access-log");
        writer.setDaemon(true);
        writer.start();
        LOG.info("Access log (JSON lines) in {}", file);
    }

    /** Queues one request's line; never blocks. */
    void record(String requestId, String remote, String method, String path, String route, int status,
            long nanos, String principal) {
        StringWriter out = new StringWriter(256);
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            g.writeStringField("time", Instant.now().toString());
            g.writeStringField("requestId", requestId);
            g.writeStringField("remote", remote);
            g.writeStringField("method", method);
            g.writeStringField("path", path);
            g.writeStringField("route", route);
            g.writeNumberField("status", status);
            g.writeNumberField("durationMs", nanos / 1_000_000.0);
            if (principal != null) {
                g.writeStringField("principal", principal);
            }
            g.writeEndObject();
        } catch (IOException e) {
            throw new IllegalStateException(e); // a StringWriter does not fail
        }
        if (!queue.offer(out.toString())) {
            dropped.incrementAndGet();
        }
    }

    long dropped() {
        return dropped.get();
    }

    private void run() {
        List<String> batch = new ArrayList<>(1024);
        Writer out = null;
        long size = 0;
        try {
            while (!closed || !queue.isEmpty()) {
                String first = queue.poll(200, TimeUnit.MILLISECONDS);
                if (first == null) {
                    warnAboutDrops();
                    continue;
                }
                batch.add(first);
                queue.drainTo(batch, 1023);
                // The size is checked after every line, not after the batch: a batch of up to 1,024
                // lines could otherwise grow one file far past its size (and, when the writer fell
                // behind, rotate once where several rotations were due).
                for (String line : batch) {
                    if (out == null) {
                        out = Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                                StandardOpenOption.APPEND);
                        size = Files.size(file);
                    }
                    out.write(line);
                    out.write('\n');
                    size += line.length() + 1;
                    if (size >= maxBytes) {
                        out.close();
                        out = null;
                        rotate();
                    }
                }
                batch.clear();
                if (out != null) {
                    out.flush();
                }
                warnAboutDrops();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException e) {
            LOG.error("Access log {} cannot be written; access logging stops: {}", file, e.toString());
        } finally {
            if (out != null) {
                try {
                    out.close();
                } catch (IOException e) {
                    LOG.debug("Closing the access log: {}", e.toString());
                }
            }
        }
    }

    private void rotate() throws IOException {
        for (int i = files - 1; i >= 1; i--) {
            Path from = file.resolveSibling(file.getFileName() + "." + i);
            if (Files.exists(from)) {
                Files.move(from, file.resolveSibling(file.getFileName() + "." + (i + 1)), StandardCopyOption.REPLACE_EXISTING);
            }
        }
        Files.move(file, file.resolveSibling(file.getFileName() + ".1"), StandardCopyOption.REPLACE_EXISTING);
        Files.deleteIfExists(file.resolveSibling(file.getFileName() + "." + (files + 1)));
    }

    private void warnAboutDrops() {
        long now = System.nanoTime();
        if (dropped.get() > 0 && now - lastDropWarning > TimeUnit.MINUTES.toNanos(1)) {
            lastDropWarning = now;
            LOG.warn("Access log: {} line(s) dropped so far because the disk could not keep up", dropped.get());
        }
    }

    /** Writes what is queued (bounded wait) and stops. */
    @Override
    public void close() {
        closed = true;
        try {
            writer.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
