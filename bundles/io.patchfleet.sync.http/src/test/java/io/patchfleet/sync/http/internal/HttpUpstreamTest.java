package io.patchfleet.sync.http.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import io.patchfleet.model.KernelId;
import io.patchfleet.model.PatchRelease;
import io.patchfleet.model.Sha256;
import io.patchfleet.sync.api.SyncException;
import io.patchfleet.trust.api.VerifiedTarget;

/**
 * The download side of sync against a real HTTP server on loopback (standing in for the
 * upstream's sync API): resume after an interrupted transfer, refusal of altered bytes, a
 * refused token, and a stalled upstream bounded by the read timeout.
 */
class HttpUpstreamTest {
    @TempDir
    Path dir;
    HttpServer server;
    final List<String> ranges = new CopyOnWriteArrayList<>();
    volatile byte[] served;
    volatile String mode = "ok";
    byte[] module = new byte[300_000];
    VerifiedTarget target;

    @BeforeEach
    void start() throws IOException {
        new java.util.Random(7).nextBytes(module);
        served = module;
        Sha256 sha = Sha256.digestOf(module);
        String name = "6.1.0-56-amd64/x86_64/lkp_t-1.ko";
        PatchRelease release = new PatchRelease(KernelId.of("6.1.0-56-amd64", "x86_64", ""), 1, "lkp_t", name, sha, module.length,
                List.of(), "", Instant.parse("2026-01-01T00:00:00Z"), 0, false);
        target = new VerifiedTarget(name, module.length, Map.of("sha256", sha.hex()), Optional.of(release));
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/v1/sync/blobs/", this::blob);
        server.createContext("/v1/sync/releases", this::releases);
        server.createContext("/v1/sync/metadata/", this::metadata);
        server.setExecutor(Executors.newCachedThreadPool());
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    private void blob(HttpExchange ex) throws IOException {
        String range = ex.getRequestHeaders().getFirst("Range");
        ranges.add(String.valueOf(range));
        if (!"Bearer good".equals(ex.getRequestHeaders().getFirst("Authorization"))) {
            ex.sendResponseHeaders(401, -1);
            ex.close();
            return;
        }
        byte[] body = served;
        int from = range == null ? 0 : Integer.parseInt(range.replaceAll("bytes=(\\d+)-", "$1"));
        ex.getResponseHeaders().add("Content-Range", "bytes " + ("badrange".equals(mode) ? 0 : from) + "-" + (body.length - 1)
                + "/" + body.length);
        ex.sendResponseHeaders(range == null ? 200 : 206, body.length - from);
        try (OutputStream out = ex.getResponseBody()) {
            if ("cut".equals(mode)) {
                out.write(body, from, 100_000);
                out.flush();
                mode = "ok";
                ex.getHttpContext().getServer(); // the exchange is dropped below, mid-body
                throw new IOException("simulated connection drop");
            }
            if ("stall".equals(mode)) {
                out.write(body, from, 10);
                out.flush();
                try {
                    Thread.sleep(10_000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return;
            }
            out.write(body, from, body.length - from);
        }
    }

    /** Metadata requests have arrived: the listing handler waits for one (both in flight at once). */
    final java.util.concurrent.CountDownLatch metadataAsked = new java.util.concurrent.CountDownLatch(1);

    final List<String> metadataPaths = new CopyOnWriteArrayList<>();
    final java.util.concurrent.CountDownLatch timestampAsked = new java.util.concurrent.CountDownLatch(1);

    private void metadata(HttpExchange ex) throws IOException {
        metadataAsked.countDown();
        String file = ex.getRequestURI().getPath().substring("/v1/sync/metadata/".length());
        metadataPaths.add(file);
        if (file.equals("timestamp.json")) {
            timestampAsked.countDown();
        }
        if (file.equals("2.root.json")) {
            boolean together;
            try {
                together = timestampAsked.await(10, java.util.concurrent.TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                together = false;
            }
            ex.sendResponseHeaders(together ? 404 : 500, -1); // one after the other: the test fails on the 500
            ex.close();
            return;
        }
        byte[] body = "{\"signed\":{}}".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        ex.sendResponseHeaders(200, body.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(body);
        }
    }

    private void releases(HttpExchange ex) throws IOException {
        if (!"Bearer good".equals(ex.getRequestHeaders().getFirst("Authorization"))) {
            ex.sendResponseHeaders(401, -1);
            ex.close();
            return;
        }
        boolean together;
        try {
            together = metadataAsked.await(10, java.util.concurrent.TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            together = false;
        }
        if (!together) {
            ex.sendResponseHeaders(500, -1); // asked for one after the other: the test fails on this
            ex.close();
            return;
        }
        byte[] body = ("{\"releases\":[{\"target\":\"" + target.name() + "\",\"sha256\":\"" + target.sha256().hex()
                + "\",\"tier\":\"edge\"}],\"withdrawn\":[]}").getBytes(java.nio.charset.StandardCharsets.UTF_8);
        ex.getResponseHeaders().add("ETag", "\"l1\"");
        ex.sendResponseHeaders(200, body.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(body);
        }
    }

    private HttpUpstream upstream(String token, Duration readTimeout) {
        URI base = URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/");
        return new HttpUpstream(HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build(), base, token, readTimeout,
                dir.resolve("partial"), SyncFilter.ALL, r -> false, 1);
    }

    private static SyncException.Reason reason(IOException e) {
        return assertInstanceOf(SyncException.class, e.getCause(), String.valueOf(e)).reason();
    }

    @Test
    void anInterruptedDownloadResumesWithRangeAndIsVerifiedWhole() throws Exception {
        mode = "cut";
        HttpUpstream first = upstream("good", Duration.ofSeconds(5));
        assertThrows(IOException.class, () -> first.openTarget(target).close());
        Path part = dir.resolve("partial").resolve(target.sha256().hex() + ".part");
        long kept = Files.size(part);
        assertTrue(kept > 0 && kept < module.length, "partial bytes kept: " + kept);

        HttpUpstream second = upstream("good", Duration.ofSeconds(5));
        try (InputStream in = second.openTarget(target)) {
            assertArrayEquals(module, in.readAllBytes());
        }
        assertEquals("bytes=" + kept + "-", ranges.get(ranges.size() - 1), "resumed where it stopped");
        assertEquals(module.length - kept, second.bytes.get(), "only the rest was transferred");
    }

    @Test
    void alteredBytesAreRefusedAndTheirPartialFileDeleted() {
        byte[] bad = module.clone();
        bad[1234] ^= 1;
        served = bad;
        IOException e = assertThrows(IOException.class, () -> upstream("good", Duration.ofSeconds(5)).openTarget(target));
        assertEquals(SyncException.Reason.VERIFICATION_FAILED, reason(e));
        assertFalse(Files.exists(dir.resolve("partial").resolve(target.sha256().hex() + ".part")));
    }

    @Test
    void aRefusedTokenIsReportedAsUnauthorized() {
        IOException e = assertThrows(IOException.class, () -> upstream("wrong", Duration.ofSeconds(5)).openTarget(target));
        assertEquals(SyncException.Reason.UNAUTHORIZED, reason(e));
    }

    @Test
    void aStalledUpstreamFailsWithinTheReadTimeout() {
        mode = "stall";
        long start = System.nanoTime();
        assertThrows(IOException.class, () -> upstream("good", Duration.ofSeconds(1)).openTarget(target));
        long seconds = Duration.ofNanos(System.nanoTime() - start).toSeconds();
        assertTrue(seconds < 6, "bounded by the read timeout, took " + seconds + " s");
    }

    // ---- targetFile: the download the mirror hands to the blob store

    @Test
    void targetFileResumesAnInterruptedDownloadAndHandsOverTheWholeFile() throws Exception {
        mode = "cut";
        assertThrows(IOException.class, () -> upstream("good", Duration.ofSeconds(5)).targetFile(target));
        Path part = dir.resolve("partial").resolve(target.sha256().hex() + ".part");
        long kept = Files.size(part);
        assertTrue(kept > 0 && kept < module.length, "partial bytes kept: " + kept);

        HttpUpstream second = upstream("good", Duration.ofSeconds(5));
        Path file = second.targetFile(target).orElseThrow();

        assertArrayEquals(module, Files.readAllBytes(file));
        assertEquals("bytes=" + kept + "-", ranges.get(ranges.size() - 1), "resumed where it stopped");
        assertEquals(module.length - kept, second.bytes.get(), "only the rest was transferred");
    }

    @Test
    void aBadKeptPartIsFetchedAgainFromTheStart() throws Exception {
        Path part = dir.resolve("partial").resolve(target.sha256().hex() + ".part");
        Files.createDirectories(part.getParent());
        Files.write(part, new byte[100_000]); // zeros, as after a power loss

        Path file = upstream("good", Duration.ofSeconds(5)).targetFile(target).orElseThrow();

        assertArrayEquals(module, Files.readAllBytes(file));
        assertEquals("bytes=100000-", ranges.get(0), "first resumed");
        assertEquals("null", ranges.get(1), "then, the whole did not verify: fetched again from the start");
    }

    @Test
    void targetFileFailsOnAStalledUpstreamWithinTheReadTimeoutAndOnARefusedToken() {
        IOException refused = assertThrows(IOException.class, () -> upstream("wrong", Duration.ofSeconds(5)).targetFile(target));
        assertEquals(SyncException.Reason.UNAUTHORIZED, reason(refused));
        mode = "stall";
        long start = System.nanoTime();
        assertThrows(IOException.class, () -> upstream("good", Duration.ofSeconds(1)).targetFile(target));
        long seconds = Duration.ofNanos(System.nanoTime() - start).toSeconds();
        assertTrue(seconds < 6, "bounded by the read timeout, took " + seconds + " s");
    }

    @Test
    void aLongerBodyIsCutAtTheSignedLength() throws Exception {
        byte[] longer = java.util.Arrays.copyOf(module, module.length + 50_000);
        served = longer;
        Path file = upstream("good", Duration.ofSeconds(5)).targetFile(target).orElseThrow();
        assertEquals(module.length, Files.size(file), "no byte beyond the signed length is written");
        assertArrayEquals(module, Files.readAllBytes(file));
    }

    // ---- the blocking download path (HttpURLConnection into the part file)

    @Test
    void aShortBodyIsKeptForAResumeAndNeverHandedOver() throws Exception {
        served = java.util.Arrays.copyOf(module, 200_000); // the upstream ends the body early, cleanly
        IOException e = assertThrows(IOException.class, () -> upstream("good", Duration.ofSeconds(5)).targetFile(target));
        assertTrue(e.getMessage().contains("bytes of module"), e.getMessage());
        Path part = dir.resolve("partial").resolve(target.sha256().hex() + ".part");
        assertEquals(200_000, Files.size(part), "the bytes that came are kept");

        served = module;
        Path file = upstream("good", Duration.ofSeconds(5)).targetFile(target).orElseThrow();
        assertArrayEquals(module, Files.readAllBytes(file));
        assertEquals("bytes=200000-", ranges.get(ranges.size() - 1), "resumed where the short body stopped");
    }

    @Test
    void aResumeAnsweredFromAnotherOffsetIsRefused() throws Exception {
        Path part = dir.resolve("partial").resolve(target.sha256().hex() + ".part");
        Files.createDirectories(part.getParent());
        Files.write(part, java.util.Arrays.copyOf(module, 100_000));
        mode = "badrange"; // answers 206 but with the bytes from 0: appending them would corrupt the file
        IOException e = assertThrows(IOException.class, () -> upstream("good", Duration.ofSeconds(5)).targetFile(target));
        assertEquals(SyncException.Reason.PROTOCOL, reason(e));
        assertEquals(100_000, Files.size(part), "nothing appended");
    }

    @Test
    void aTamperedBodyIsRefusedAfterAResumeAndAFetchFromTheStart() throws Exception {
        Path part = dir.resolve("partial").resolve(target.sha256().hex() + ".part");
        Files.createDirectories(part.getParent());
        Files.write(part, java.util.Arrays.copyOf(module, 100_000));
        byte[] bad = module.clone();
        bad[250_000] ^= 1; // in the part the resume fetches
        served = bad;
        IOException e = assertThrows(IOException.class, () -> upstream("good", Duration.ofSeconds(5)).openTarget(target));
        assertEquals(SyncException.Reason.VERIFICATION_FAILED, reason(e), "fetched again from the start, still wrong: refused");
        assertEquals(List.of("bytes=100000-", "null"), ranges, "resumed, then once more from the start");
        assertFalse(Files.exists(part), "the bad bytes are not kept");
    }

    @Test
    void anInterruptedDownloadEndsWithinTheReadTimeoutEvenWhenTheUpstreamStalls() throws Exception {
        mode = "stall"; // 10 bytes, then nothing for 10 s
        HttpUpstream u = upstream("good", Duration.ofSeconds(2));
        java.util.concurrent.atomic.AtomicReference<Throwable> failure = new java.util.concurrent.atomic.AtomicReference<>();
        Thread t = new Thread(() -> {
            try {
                u.targetFile(target);
            } catch (Throwable e) {
                failure.set(e);
            }
        });
        t.start();
        Thread.sleep(500);
        long start = System.nanoTime();
        t.interrupt();
        t.join(10_000);
        assertFalse(t.isAlive(), "still blocked in the read");
        assertTrue(Duration.ofNanos(System.nanoTime() - start).toSeconds() < 6, "bounded by the read timeout, not the stall");
        assertInstanceOf(java.io.InterruptedIOException.class, failure.get());
    }

    @Test
    void aStalledBodyFailsAsATimeoutAndKeepsItsBytes() throws Exception {
        mode = "stall";
        IOException e = assertThrows(IOException.class, () -> upstream("good", Duration.ofSeconds(1)).targetFile(target));
        assertInstanceOf(java.net.http.HttpTimeoutException.class, e, String.valueOf(e));
        assertTrue(e.getMessage().contains("no data from the upstream"), e.getMessage());
        assertEquals(10, Files.size(dir.resolve("partial").resolve(target.sha256().hex() + ".part")));
    }

    // ---- transferTarget: the module written straight into the mirror's sink (the blob store)

    /** What the blob store's receiver does for the source: holds bytes, may hold some from before. */
    static final class MemorySink implements io.patchfleet.sync.api.ModuleSink {
        final java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        int restarts;

        MemorySink(byte[] kept) {
            bytes.writeBytes(kept);
        }

        @Override
        public long position() {
            return bytes.size();
        }

        @Override
        public void write(byte[] b, int offset, int length) {
            bytes.write(b, offset, length);
        }

        @Override
        public void restart() {
            bytes.reset();
            restarts++;
        }
    }

    @Test
    void transferTargetWritesTheModuleIntoTheSinkAndNoPartFile() throws Exception {
        HttpUpstream u = upstream("good", Duration.ofSeconds(5));
        assertTrue(u.transfersTargets());
        MemorySink sink = new MemorySink(new byte[0]);
        u.transferTarget(target, sink);
        assertArrayEquals(module, sink.bytes.toByteArray());
        assertEquals(List.of("null"), ranges, "one request, from the start");
        assertEquals(0, sink.restarts, "nothing to drop");
        assertFalse(Files.exists(dir.resolve("partial").resolve(target.sha256().hex() + ".part")));
    }

    @Test
    void transferTargetContinuesAfterWhatTheSinkKept() throws Exception {
        mode = "cut";
        MemorySink sink = new MemorySink(new byte[0]);
        assertThrows(IOException.class, () -> upstream("good", Duration.ofSeconds(5)).transferTarget(target, sink));
        int kept = sink.bytes.size();
        assertTrue(kept > 0 && kept < module.length, "kept " + kept);

        HttpUpstream second = upstream("good", Duration.ofSeconds(5));
        second.transferTarget(target, sink);
        assertArrayEquals(module, sink.bytes.toByteArray());
        assertEquals("bytes=" + kept + "-", ranges.get(ranges.size() - 1));
        assertEquals(module.length - kept, second.bytes.get(), "only the rest was transferred");
    }

    @Test
    void transferTargetRestartsTheSinkWhenTheUpstreamSendsTheWholeBodyInstead() throws Exception {
        HttpServer plain = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        plain.createContext("/v1/sync/blobs/", ex -> { // ignores Range, as a plain file server may
            ex.sendResponseHeaders(200, module.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(module);
            }
        });
        plain.start();
        try {
            HttpUpstream u = new HttpUpstream(HttpClient.newBuilder().build(),
                    URI.create("http://127.0.0.1:" + plain.getAddress().getPort() + "/"), "good", Duration.ofSeconds(5),
                    dir.resolve("partial"), SyncFilter.ALL, r -> false, 1);
            MemorySink sink = new MemorySink(java.util.Arrays.copyOf(module, 70_000));
            u.transferTarget(target, sink);
            assertEquals(1, sink.restarts, "the kept bytes were dropped before the whole body");
            assertArrayEquals(module, sink.bytes.toByteArray());
        } finally {
            plain.stop(0);
        }
    }

    @Test
    void transferTargetWritesNothingBeyondTheSignedLengthAndFailsOnARefusedTokenOrAStall() throws Exception {
        served = java.util.Arrays.copyOf(module, module.length + 50_000);
        MemorySink sink = new MemorySink(new byte[0]);
        upstream("good", Duration.ofSeconds(5)).transferTarget(target, sink);
        assertEquals(module.length, sink.bytes.size());

        IOException refused = assertThrows(IOException.class,
                () -> upstream("wrong", Duration.ofSeconds(5)).transferTarget(target, new MemorySink(new byte[0])));
        assertEquals(SyncException.Reason.UNAUTHORIZED, reason(refused));

        mode = "stall";
        MemorySink stalled = new MemorySink(new byte[0]);
        IOException e = assertThrows(IOException.class, () -> upstream("good", Duration.ofSeconds(1)).transferTarget(target, stalled));
        assertInstanceOf(java.net.http.HttpTimeoutException.class, e, String.valueOf(e));
        assertEquals(10, stalled.bytes.size(), "what came is kept for the next run");
    }

    @Test
    void aResumeAnsweredFromAnotherOffsetWritesNothingIntoTheSink() throws Exception {
        mode = "badrange";
        MemorySink sink = new MemorySink(java.util.Arrays.copyOf(module, 100_000));
        IOException e = assertThrows(IOException.class, () -> upstream("good", Duration.ofSeconds(5)).transferTarget(target, sink));
        assertEquals(SyncException.Reason.PROTOCOL, reason(e));
        assertEquals(100_000, sink.bytes.size(), "nothing appended");
    }

    // ---- the listing, asked for while the TUF requests go on

    @Test
    void theListingIsAskedForAlongsideTheMetadataAndReadOnlyWhenAwaited() throws Exception {
        HttpUpstream u = upstream("good", Duration.ofSeconds(20));
        u.startListing(Optional.empty());
        // The listing handler answers only once a metadata request has arrived: one after the other would fail.
        assertTrue(u.fetch("timestamp.json", 1024).isPresent());
        HttpUpstream.Listing listing = u.awaitListing();
        assertEquals(Map.of(target.name(), new HttpUpstream.Listed(target.name(), target.sha256().hex(), "edge")), listing.listed());
        assertEquals(Optional.of(u.describe() + "|" + SyncFilter.ALL + "|\"l1\""), u.selectionKey());
        assertTrue(u.wantsRelease(target.patch().orElseThrow()));
        assertTrue(u.listingFailure().isEmpty());
    }

    @Test
    void aFailedListingIsReportedWithItsReasonWhereverItIsRead() {
        HttpUpstream u = upstream("wrong", Duration.ofSeconds(5));
        u.startListing(Optional.empty());
        IOException e = assertThrows(IOException.class, u::awaitListing);
        assertEquals(SyncException.Reason.UNAUTHORIZED, reason(e));
        assertThrows(java.io.UncheckedIOException.class, u::listed, "never an empty listing in its place");
        assertThrows(java.io.UncheckedIOException.class, () -> u.wantsRelease(target.patch().orElseThrow()));
        assertEquals(SyncException.Reason.UNAUTHORIZED, reason(u.listingFailure().orElseThrow()));
    }

    @Test
    void theTimestampIsAskedForWhileTheNextRootIsAndHandedOverOnlyWhenTheVerifierAsks() throws Exception {
        HttpUpstream u = upstream("good", Duration.ofSeconds(20));
        // The handler of 2.root.json answers only once timestamp.json was asked for: one after the other would fail.
        assertTrue(u.fetch("2.root.json", 1024).isEmpty(), "no newer root");
        assertEquals(0, u.metadataFiles.get(), "the early timestamp is not counted before it is used");
        assertArrayEquals("{\"signed\":{}}".getBytes(java.nio.charset.StandardCharsets.UTF_8),
                u.fetch("timestamp.json", 1024).orElseThrow().content());
        assertEquals(List.of("2.root.json", "timestamp.json"), metadataPaths.stream().sorted().toList(), "each asked for once");
        assertEquals(1, u.metadataFiles.get());
    }

    @Test
    void anEarlyTimestampIsStillBoundByTheVerifiersLimit() throws Exception {
        HttpUpstream u = upstream("good", Duration.ofSeconds(20));
        u.fetch("2.root.json", 1024);
        IOException e = assertThrows(IOException.class, () -> u.fetch("timestamp.json", 5));
        assertTrue(e.getMessage().contains("more than 5 bytes"), e.getMessage());
    }
}
