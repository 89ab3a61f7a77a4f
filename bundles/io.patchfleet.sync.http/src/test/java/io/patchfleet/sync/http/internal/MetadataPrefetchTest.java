package io.patchfleet.sync.http.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import io.patchfleet.trust.api.MetadataFile;

/**
 * Metadata files the verifier announces ({@code MetadataSource.expect}) are fetched ahead, on
 * several connections, against a real HTTP server on loopback: each is still handed over only
 * when asked for, with its own bound, and no more than {@link HttpUpstream#PREFETCH_AHEAD} are
 * held ahead of the verifier.
 */
class MetadataPrefetchTest {
    @TempDir
    Path dir;
    HttpServer server;
    /** Requests per file name. */
    final Map<String, AtomicInteger> requests = new ConcurrentHashMap<>();
    final AtomicInteger inFlight = new AtomicInteger();
    final AtomicInteger mostInFlight = new AtomicInteger();
    /** Each answer waits (bounded) until this many requests are in flight, or its time is up. */
    volatile int holdUntilInFlight = 1;

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/v1/sync/metadata/", this::metadata);
        server.setExecutor(Executors.newCachedThreadPool());
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    static byte[] content(String file) {
        return ("{\"signed\":{\"file\":\"" + file + "\"}}").getBytes(StandardCharsets.UTF_8);
    }

    private void metadata(HttpExchange ex) throws IOException {
        String file = ex.getRequestURI().getPath().substring("/v1/sync/metadata/".length());
        requests.computeIfAbsent(file, f -> new AtomicInteger()).incrementAndGet();
        int now = inFlight.incrementAndGet();
        mostInFlight.accumulateAndGet(now, Math::max);
        try {
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(300);
            while (inFlight.get() < holdUntilInFlight && System.nanoTime() < deadline) {
                Thread.onSpinWait();
            }
            if (file.startsWith("missing")) {
                ex.sendResponseHeaders(404, -1);
                ex.close();
                return;
            }
            byte[] body = content(file);
            ex.sendResponseHeaders(200, body.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(body);
            }
        } finally {
            inFlight.decrementAndGet();
        }
    }

    private HttpUpstream upstream(int parallelism) {
        URI base = URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/");
        return new HttpUpstream(HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build(), base, "good",
                Duration.ofSeconds(5), dir.resolve("partial"), SyncFilter.ALL, r -> false, parallelism);
    }

    static List<String> names(int from, int to) {
        List<String> names = new ArrayList<>();
        for (int i = from; i < to; i++) {
            names.add("1.kernel-" + i + ".json");
        }
        return names;
    }

    private int requested() {
        return requests.values().stream().mapToInt(AtomicInteger::get).sum();
    }

    private void awaitRequests(int count) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (requested() < count && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertTrue(requested() >= count, "expected " + count + " requests, the server saw " + requested());
    }

    @Test
    void announcedFilesAreFetchedOnSeveralConnectionsAndHandedOverOnceEachInOrder() throws Exception {
        holdUntilInFlight = 4;
        HttpUpstream u = upstream(4);
        List<String> names = names(0, 12);
        u.expect(names, 1 << 20);
        for (String name : names) {
            MetadataFile f = u.fetch(name, 1 << 20).orElseThrow();
            assertEquals(name, f.name());
            assertArrayEquals(content(name), f.content());
        }
        assertTrue(mostInFlight.get() >= 2, "announced files must be fetched side by side; at most "
                + mostInFlight.get() + " request was in flight");
        names.forEach(n -> assertEquals(1, requests.get(n).get(), n + " fetched more than once"));
        assertEquals(12, u.metadataFiles.get());
    }

    @Test
    void noMoreThanTheBoundAreFetchedAheadOfTheVerifier() throws Exception {
        HttpUpstream u = upstream(4);
        List<String> names = names(0, HttpUpstream.PREFETCH_AHEAD + 10);
        u.expect(names, 1 << 20);
        awaitRequests(HttpUpstream.PREFETCH_AHEAD);
        // Nothing more may come while the verifier takes nothing: give the prefetch time to overrun.
        CountDownLatch never = new CountDownLatch(1);
        never.await(500, TimeUnit.MILLISECONDS);
        assertEquals(HttpUpstream.PREFETCH_AHEAD, requested(), "files fetched ahead beyond the bound");
        u.fetch(names.get(0), 1 << 20).orElseThrow();
        awaitRequests(HttpUpstream.PREFETCH_AHEAD + 1); // one taken: one more may be fetched
        for (String name : names) {
            if (!name.equals(names.get(0))) {
                assertArrayEquals(content(name), u.fetch(name, 1 << 20).orElseThrow().content());
            }
        }
        names.forEach(n -> assertEquals(1, requests.get(n).get(), n + " fetched more than once"));
    }

    @Test
    void filesTheVerifierSkipsFreeTheirPlaceAhead() throws Exception {
        HttpUpstream u = upstream(2);
        List<String> names = names(0, HttpUpstream.PREFETCH_AHEAD + 8);
        u.expect(names, 1 << 20);
        awaitRequests(HttpUpstream.PREFETCH_AHEAD);
        // The verifier had valid stored copies of all but the last few: it asks for those only.
        String skippedTo = names.get(HttpUpstream.PREFETCH_AHEAD + 2);
        assertArrayEquals(content(skippedTo), u.fetch(skippedTo, 1 << 20).orElseThrow().content());
        // The places of the skipped files went to the rest; the two never started are never fetched.
        awaitRequests(names.size() - 2);
        for (String name : names.subList(HttpUpstream.PREFETCH_AHEAD + 3, names.size())) {
            assertArrayEquals(content(name), u.fetch(name, 1 << 20).orElseThrow().content());
        }
        for (int i = 0; i < names.size(); i++) {
            boolean skippedUnfetched = i == HttpUpstream.PREFETCH_AHEAD || i == HttpUpstream.PREFETCH_AHEAD + 1;
            AtomicInteger n = requests.get(names.get(i));
            assertEquals(skippedUnfetched ? 0 : 1, n == null ? 0 : n.get(), names.get(i));
        }
    }

    @Test
    void aPrefetchedFileKeepsTheVerifiersBoundAndItsAbsence() throws Exception {
        HttpUpstream u = upstream(2);
        u.expect(List.of("1.kernel-a.json", "missing.json"), 1 << 20);
        awaitRequests(2);
        IOException tooLong = assertThrows(IOException.class, () -> u.fetch("1.kernel-a.json", 5));
        assertTrue(tooLong.getMessage().contains("more than 5 bytes"), tooLong.getMessage());
        assertTrue(u.fetch("missing.json", 1 << 20).isEmpty(), "a 404 stays 'no such file'");
    }

    @Test
    void aFileAskedForThatWasNeverAnnouncedIsFetchedDirectly() throws Exception {
        HttpUpstream u = upstream(2);
        u.expect(names(0, 2), 1 << 20);
        assertArrayEquals(content("1.kernel-x.json"), u.fetch("1.kernel-x.json", 1 << 20).orElseThrow().content());
        for (String name : names(0, 2)) {
            assertArrayEquals(content(name), u.fetch(name, 1 << 20).orElseThrow().content());
        }
        assertEquals(1, requests.get("1.kernel-x.json").get());
    }
}
