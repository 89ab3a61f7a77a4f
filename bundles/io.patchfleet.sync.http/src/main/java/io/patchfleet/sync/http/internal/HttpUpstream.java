package io.patchfleet.sync.http.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.Proxy;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.patchfleet.model.PatchRelease;
import io.patchfleet.sync.api.MirrorSource;
import io.patchfleet.sync.api.ModuleSink;
import io.patchfleet.sync.api.SyncException;
import io.patchfleet.trust.api.MetadataFile;
import io.patchfleet.trust.api.TargetMismatchException;
import io.patchfleet.trust.api.VerifiedTarget;
import io.patchfleet.trust.tuf.TargetVerification;

/**
 * An upstream Patchfleet server's sync API as a {@link MirrorSource} for one sync run.
 *
 * <p>Metadata comes from {@code /v1/sync/metadata/{file}} (the verifier asks only for what TUF
 * needs: the timestamp, and the snapshot and roles only when their versions changed). Modules
 * are downloaded into {@code partialDir/<sha256>.part}, resumed with {@code Range} after an
 * interruption (or a {@code kill -9}), and checked against the signed length and SHA-256 before
 * the caller stores them; a mismatch deletes the partial file. Every request is bounded: a
 * connect timeout, a timeout for the answer to start, and a stall timeout while the body flows
 * (TUF's slow-retrieval attack, and an upstream that hangs never holds the sync thread forever).
 */
final class HttpUpstream implements MirrorSource {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A release the upstream lists for this token's tier: its highest tier there. */
    record Listed(String target, String sha256, String tier) {}

    private final HttpClient http;
    private final URI base;
    private final String token;
    private final Duration readTimeout;
    private final Path partialDir;
    private final SyncFilter filter;
    private final java.util.function.Predicate<PatchRelease> haveLocally;
    private final int parallelism;
    final AtomicLong metadataFiles = new AtomicLong();
    final AtomicLong metadataBytes = new AtomicLong();
    final AtomicLong blobs = new AtomicLong();
    final AtomicLong bytes = new AtomicLong();
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(HttpUpstream.class);
    /** When this run's source was made, for the progress lines of a long download. */
    private final long started = System.nanoTime();
    private final java.util.concurrent.atomic.AtomicBoolean modulesStarted = new java.util.concurrent.atomic.AtomicBoolean();
    volatile String step = "metadata";
    private volatile Map<String, Listed> listed;
    private volatile List<Listed> withdrawn = List.of();
    private volatile String listingEtag = "";

    HttpUpstream(HttpClient http, URI base, String token, Duration readTimeout, Path partialDir,
            SyncFilter filter, java.util.function.Predicate<PatchRelease> haveLocally,
            int parallelism) {
        this.parallelism = Math.max(1, parallelism);
        this.http = http;
        this.base = base;
        this.token = token;
        this.readTimeout = readTimeout;
        this.partialDir = partialDir;
        this.filter = filter;
        this.haveLocally = haveLocally;
    }

    @Override
    public String describe() {
        return base.toString();
    }

    /** A listing as read, with its ETag: the next run asks with If-None-Match and reuses it on 304. */
    record Listing(String etag, Map<String, Listed> listed, List<Listed> withdrawn) {}

    /**
     * Reads {@code /v1/sync/releases}: what the token's tier may have, and what the upstream withdrew.
     * With {@code previous} (the last run's listing from this upstream and token) the request is
     * conditional, and an unchanged listing (304) is not sent again: 10,000 releases are ~1 MB.
     */
    Listing loadListing(Optional<Listing> previous) throws IOException {
        Optional<String> etag = previous.map(Listing::etag).filter(e -> !e.isEmpty());
        HttpResponse<InputStream> r = send("/v1/sync/releases", Optional.empty(), etag);
        try (InputStream in = r.body()) {
            if (r.statusCode() == 304 && previous.isPresent()) {
                in.transferTo(OutputStream.nullOutputStream());
                listed = previous.get().listed();
                withdrawn = previous.get().withdrawn();
                listingEtag = previous.get().etag();
                return previous.get();
            }
            if (r.statusCode() != 200) {
                throw failure(r.statusCode(), "/v1/sync/releases");
            }
            JsonNode root = JSON.readTree(bounded(in, 64L * 1024 * 1024));
            Map<String, Listed> map = new HashMap<>();
            for (JsonNode n : root.path("releases")) {
                Listed l = new Listed(n.path("target").asText(), n.path("sha256").asText(), n.path("tier").asText());
                map.put(l.target(), l);
            }
            java.util.ArrayList<Listed> w = new java.util.ArrayList<>();
            for (JsonNode n : root.path("withdrawn")) {
                w.add(new Listed(n.path("target").asText(), n.path("sha256").asText(), ""));
            }
            listed = Map.copyOf(map);
            withdrawn = List.copyOf(w);
            listingEtag = r.headers().firstValue("ETag").orElse("");
            return new Listing(listingEtag, listed, withdrawn);
        }
    }

    /** The listing asked for by {@link #startListing}, until {@link #awaitListing} takes it. */
    private volatile java.util.concurrent.CompletableFuture<Listing> pendingListing;

    /**
     * Asks for the release listing on its own thread while the caller goes on with the TUF
     * requests: a no-change sync is three small requests, and one fewer of them one after the
     * other is a round trip less (BENCHMARKS.md, sync). The listing is only <em>read</em> through
     * {@link #awaitListing}, {@link #listed}, {@link #withdrawn}, {@link #wantsRelease} and
     * {@link #selectionKey}, which the mirror calls only after it verified the timestamp (and
     * the rest of the TUF chain it needs); nothing acts on it before.
     */
    void startListing(Optional<Listing> previous) {
        java.util.concurrent.CompletableFuture<Listing> f = new java.util.concurrent.CompletableFuture<>();
        Thread t = new Thread(() -> {
            try {
                f.complete(loadListing(previous));
            } catch (IOException | RuntimeException e) {
                f.completeExceptionally(e);
            }
        }, "patchfleet-sync-listing");
        t.setDaemon(true);
        pendingListing = f;
        t.start();
    }

    /**
     * The listing {@link #startListing} asked for, waiting for it if needed (bounded: the
     * request's own timeouts, and twice the read timeout here in case the body trickles).
     *
     * @throws IOException as {@link #loadListing} would have
     */
    synchronized Listing awaitListing() throws IOException {
        java.util.concurrent.CompletableFuture<Listing> f = pendingListing;
        if (f == null) {
            return new Listing(listingEtag, listed(), withdrawn);
        }
        Listing l = await(f, "the release listing"); // a failure stays pending: every later call reports it
        pendingListing = null;
        return l;
    }

    /**
     * The listing's failure, if {@link #startListing}'s request failed: the run reports it (its
     * reason, e.g. a refused token) rather than what the mirror made of the unchecked wrapper.
     */
    Optional<IOException> listingFailure() {
        java.util.concurrent.CompletableFuture<Listing> f = pendingListing;
        if (f == null || !f.isCompletedExceptionally()) {
            return Optional.empty();
        }
        try {
            awaitListing();
            return Optional.empty();
        } catch (IOException e) {
            return Optional.of(e);
        }
    }

    /** {@link #awaitListing} for the {@link MirrorSource} methods, which cannot throw {@link IOException}. */
    private void listingReady() {
        if (pendingListing != null) {
            try {
                awaitListing();
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e.getMessage(), e);
            }
        }
    }

    /**
     * The upstream, the filters and the listing's ETag: the same key means the same releases
     * wanted (no ETag: unknown, so the mirror walks everything).
     */
    @Override
    public Optional<String> selectionKey() {
        listingReady();
        return listingEtag.isEmpty() ? Optional.empty() : Optional.of(base + "|" + filter + "|" + listingEtag);
    }

    Map<String, Listed> listed() {
        listingReady();
        return listed == null ? Map.of() : listed;
    }

    List<Listed> withdrawn() {
        listingReady();
        return withdrawn;
    }

    /** Modules download on this many connections at once; {@link #openTarget} is thread-safe. */
    @Override
    public int parallelism() {
        return parallelism;
    }

    @Override
    public boolean wantsRole(String role) {
        return filter.acceptsRole(role);
    }

    @Override
    public boolean wantsRelease(PatchRelease release) {
        if (!filter.accepts(release.kernel())) {
            return false;
        }
        listingReady();
        if (release.revoked()) {
            // A revoked release travels only to revoke what this server has: never download it.
            return haveLocally.test(release);
        }
        Listed l = listed().get(release.targetName());
        if (l != null && l.sha256().equals(release.sha256().hex())) {
            return true;
        }
        // Withdrawn upstream (revoked by its admin): kept in this run only to be revoked here.
        return withdrawn.stream().anyMatch(w -> w.target().equals(release.targetName())) && haveLocally.test(release);
    }

    @Override
    public Optional<MetadataFile> fetch(String fileName, long maxLength) throws IOException {
        java.util.concurrent.CompletableFuture<Optional<byte[]>> prefetched;
        synchronized (expected) {
            if (expected.contains(fileName)) {
                // Announced files the verifier did not ask for before this one (a valid stored copy):
                // it never will in this run, so they stop holding a place ahead.
                for (java.util.Iterator<String> it = expected.iterator(); it.hasNext(); ) {
                    String head = it.next();
                    it.remove();
                    if (head.equals(fileName)) {
                        break;
                    }
                    if (prefetch.remove(head) != null) {
                        ahead.release();
                    }
                }
                prefetched = prefetch.remove(fileName);
                if (prefetched != null) {
                    ahead.release();
                }
            } else {
                prefetched = prefetch.remove(fileName);
            }
        }
        if (prefetched == null && ROOT_FILE.matcher(fileName).matches() && prefetch.isEmpty() && !timestampPrefetched) {
            // A client update asks for the next root first, then the timestamp: ask for both at once.
            timestampPrefetched = true;
            prefetch.put(TIMESTAMP, startFetch(TIMESTAMP, PREFETCH_MAX));
        }
        Optional<byte[]> content;
        if (prefetched != null) {
            content = await(prefetched, fileName);
            if (content.isPresent() && content.get().length > maxLength) {
                throw new IOException("the upstream sent more than " + maxLength + " bytes");
            }
        } else {
            content = fetchBytes(fileName, maxLength);
        }
        if (content.isEmpty()) {
            return Optional.empty();
        }
        metadataFiles.incrementAndGet();
        metadataBytes.addAndGet(content.get().length);
        return Optional.of(new MetadataFile(fileName, content.get()));
    }

    private static final java.util.regex.Pattern ROOT_FILE = java.util.regex.Pattern.compile("\\d+\\.root\\.json");
    private static final String TIMESTAMP = "timestamp.json";
    /** Bound of a prefetched file before the verifier says its own (then checked against that). */
    static final long PREFETCH_MAX = 16L * 1024 * 1024;
    /**
     * Metadata asked for ahead of the verifier: {@code timestamp.json} while the verifier asks
     * whether a newer root exists (a no-change sync: two round trips at once instead of one after
     * the other). Only the request is early: the bytes go to the verifier when it asks for that
     * file, and are verified as if fetched then (TUF's order of verification is unchanged: root
     * first, then the timestamp with the root the verifier ends up trusting).
     */
    private final Map<String, java.util.concurrent.CompletableFuture<Optional<byte[]>>> prefetch =
            new java.util.concurrent.ConcurrentHashMap<>();
    private volatile boolean timestampPrefetched;

    /**
     * Files the verifier announced ({@link #expect}) and has not asked for yet, in its order; also
     * the lock for moving an announced file between here and {@link #prefetch}.
     */
    private final java.util.LinkedHashSet<String> expected = new java.util.LinkedHashSet<>();
    /** How many announced files may be fetched ahead of the verifier (bounds memory and requests). */
    static final int PREFETCH_AHEAD = 32;
    /** Places ahead: taken before an announced file is fetched, given back when the verifier takes it. */
    private final java.util.concurrent.Semaphore ahead = new java.util.concurrent.Semaphore(PREFETCH_AHEAD);
    private java.util.concurrent.ThreadPoolExecutor prefetchPool;

    /**
     * Fetches announced metadata files ahead of the verifier: on {@link #parallelism()} connections,
     * in the announced order, at most {@value #PREFETCH_AHEAD} not yet taken. The verifier still
     * gets each file only when it asks, and verifies it then; a file it asks for before a prefetch
     * started is fetched on its own thread as usual, and the prefetch skips it.
     */
    @Override
    public void expect(List<String> fileNames, long maxLength) {
        java.util.List<String> fresh = new java.util.ArrayList<>();
        synchronized (expected) {
            for (String name : fileNames) {
                if (!prefetch.containsKey(name) && expected.add(name)) {
                    fresh.add(name);
                }
            }
            if (fresh.isEmpty()) {
                return;
            }
            if (prefetchPool == null) {
                prefetchPool = new java.util.concurrent.ThreadPoolExecutor(parallelism, parallelism, 5, TimeUnit.SECONDS,
                        new java.util.concurrent.LinkedBlockingQueue<>(), r -> {
                            Thread t = new Thread(r, "patchfleet-sync-prefetch");
                            t.setDaemon(true);
                            return t;
                        });
                prefetchPool.allowCoreThreadTimeOut(true);
            }
        }
        long waitMs = readTimeout.toMillis() * 2 + 1000;
        for (String name : fresh) {
            prefetchPool.execute(() -> prefetchAnnounced(name, maxLength, waitMs));
        }
    }

    private void prefetchAnnounced(String name, long maxLength, long waitMs) {
        try {
            if (!ahead.tryAcquire(waitMs, TimeUnit.MILLISECONDS)) {
                return; // the verifier stopped taking files (a failed run): it fetches this one itself if ever
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        java.util.concurrent.CompletableFuture<Optional<byte[]>> f = new java.util.concurrent.CompletableFuture<>();
        synchronized (expected) {
            if (!expected.contains(name) || prefetch.putIfAbsent(name, f) != null) {
                ahead.release(); // asked for (or skipped) already
                return;
            }
        }
        try {
            f.complete(fetchBytes(name, maxLength));
        } catch (IOException | RuntimeException e) {
            f.completeExceptionally(e); // reported when the verifier asks for this file, as a direct fetch would be
        }
    }

    private java.util.concurrent.CompletableFuture<Optional<byte[]>> startFetch(String fileName, long maxLength) {
        java.util.concurrent.CompletableFuture<Optional<byte[]>> f = new java.util.concurrent.CompletableFuture<>();
        Thread t = new Thread(() -> {
            try {
                f.complete(fetchBytes(fileName, maxLength));
            } catch (IOException | RuntimeException e) {
                f.completeExceptionally(e);
            }
        }, "patchfleet-sync-prefetch");
        t.setDaemon(true);
        t.start();
        return f;
    }

    private <T> T await(java.util.concurrent.CompletableFuture<T> f, String what) throws IOException {
        try {
            return f.get(readTimeout.toMillis() * 2 + 1000, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted while waiting for " + what);
        } catch (java.util.concurrent.TimeoutException e) {
            f.cancel(true);
            throw new HttpTimeoutException(what + " from " + base + " took more than " + (readTimeout.toSeconds() * 2 + 1) + " s");
        } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof IOException io) {
                throw io;
            }
            throw new IOException(what + " from " + base + ": " + e.getCause(), e.getCause());
        }
    }

    /** A metadata file's bytes; empty if the upstream has no such file (404). */
    private Optional<byte[]> fetchBytes(String fileName, long maxLength) throws IOException {
        HttpResponse<InputStream> r = send("/v1/sync/metadata/" + fileName, Optional.empty());
        try (InputStream in = r.body()) {
            if (r.statusCode() == 404) {
                return Optional.empty();
            }
            if (r.statusCode() != 200) {
                throw failure(r.statusCode(), fileName);
            }
            return Optional.of(bounded(in, maxLength));
        }
    }

    @Override
    public InputStream openTarget(VerifiedTarget target) throws IOException {
        step = "modules";
        modulesStarting();
        PatchRelease release = target.patch().orElseThrow();
        String sha = release.sha256().hex();
        Files.createDirectories(partialDir);
        Path part = partialDir.resolve(sha + ".part");
        long have = Files.exists(part) ? Files.size(part) : 0;
        if (have > target.length()) {
            Files.delete(part);
            have = 0;
        }
        java.security.MessageDigest digest = null;
        if (have < target.length()) {
            try (PartFile out = new PartFile(part)) {
                digest = download(sha, have, target.length(), true, out);
            }
        }
        try {
            if (digest != null && target.hashes().keySet().equals(Set.of("sha256"))) {
                // Downloaded whole in this call: its SHA-256 was computed on the way in (one pass over
                // the bytes instead of two; hashing is most of a sync's CPU, see BENCHMARKS.md).
                target.checkContent(Files.size(part), io.patchfleet.model.Sha256.ofDigest(digest.digest()));
            } else {
                TargetVerification.verify(target, part); // resumed, or more hashes signed than SHA-256
            }
        } catch (TargetMismatchException e) {
            Files.deleteIfExists(part);
            if (have > 0) {
                // A resumed file whose kept part was bad (the .part is not fsynced: after a power loss its
                // tail may be zeros): fetch it once more from the start before calling the upstream wrong.
                return openTarget(target);
            }
            throw new IOException(e.getMessage(), new SyncException(SyncException.Reason.VERIFICATION_FAILED,
                    "module " + target.name() + " from " + base + " does not match its signed target: " + e.getMessage(), e));
        }
        progress(blobs.incrementAndGet());
        return Files.newInputStream(part);
    }

    /**
     * Downloads (or resumes) a module into {@code partialDir/<sha256>.part} and hands the file to
     * the mirror, which has the blob store check it and move it into place: the bytes are hashed
     * once (by the store) and written once (BENCHMARKS.md, sync). A kept part from an earlier run
     * is checked here first, so a bad one (zeros after a power loss) is fetched again from the
     * start instead of failing the run; so is every target signed with more hashes than SHA-256,
     * the only one the store knows.
     */
    @Override
    public Optional<Path> targetFile(VerifiedTarget target) throws IOException {
        step = "modules";
        modulesStarting();
        PatchRelease release = target.patch().orElseThrow();
        String sha = release.sha256().hex();
        Files.createDirectories(partialDir);
        Path part = partialDir.resolve(sha + ".part");
        long have = Files.exists(part) ? Files.size(part) : 0;
        if (have > target.length()) {
            Files.delete(part);
            have = 0;
        }
        if (have < target.length()) {
            try (PartFile out = new PartFile(part)) {
                download(sha, have, target.length(), false, out);
            }
        }
        if (have > 0 || !target.hashes().keySet().equals(Set.of("sha256"))) {
            try {
                TargetVerification.verify(target, part);
            } catch (TargetMismatchException e) {
                Files.deleteIfExists(part);
                if (have == 0) {
                    throw new IOException(e.getMessage(), new SyncException(SyncException.Reason.VERIFICATION_FAILED,
                            "module " + target.name() + " from " + base + " does not match its signed target: " + e.getMessage(), e));
                }
                try (PartFile out = new PartFile(part)) {
                    out.restart();
                    download(sha, 0, target.length(), false, out); // the kept part was bad: once more from the start
                }
            }
        }
        progress(blobs.incrementAndGet());
        return Optional.of(part);
    }

    @Override
    public boolean transfersTargets() {
        return true;
    }

    /**
     * Downloads a module (or its rest, after what the sink kept from an interrupted run) straight
     * into the mirror's sink, the blob store, which hashes and checks it: no part file of this
     * source's own, and each byte written once (BENCHMARKS.md, sync).
     */
    @Override
    public void transferTarget(VerifiedTarget target, ModuleSink sink) throws IOException {
        step = "modules";
        modulesStarting();
        String sha = target.patch().orElseThrow().sha256().hex();
        long have = sink.position();
        if (have > target.length()) {
            sink.restart();
            have = 0;
        }
        if (have < target.length()) {
            download(sha, have, target.length(), false, sink);
        }
        progress(blobs.incrementAndGet());
    }

    /** A part file in {@link #partialDir}, appended to: the sink of {@link #openTarget} and {@link #targetFile}. */
    private static final class PartFile implements ModuleSink, AutoCloseable {
        private final java.nio.channels.FileChannel out;

        PartFile(Path part) throws IOException {
            out = java.nio.channels.FileChannel.open(part, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.APPEND);
        }

        @Override
        public long position() {
            try {
                return out.size();
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }

        @Override
        public void write(byte[] bytes, int offset, int length) throws IOException {
            java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(bytes, offset, length);
            while (b.hasRemaining()) {
                out.write(b);
            }
        }

        @Override
        public void restart() throws IOException {
            out.truncate(0);
        }

        @Override
        public void close() throws IOException {
            out.close();
        }
    }

    /** The first module's start, and every 100th module: a long transfer says how far it is, in the log. */
    private void modulesStarting() {
        if (modulesStarted.compareAndSet(false, true)) {
            LOG.info("Sync from {}: metadata verified after {} ms; downloading modules, {} at a time", base, elapsedMs(),
                    parallelism);
        }
    }

    private void progress(long modules) {
        if (modules % 100 == 0) {
            LOG.info("Sync from {}: {} modules ({} MB) downloaded after {} ms", base, modules, bytes.get() / 1_000_000,
                    elapsedMs());
        }
    }

    private long elapsedMs() {
        return (System.nanoTime() - started) / 1_000_000;
    }

    /** Deletes the partial files of modules now in the blob store. */
    void cleanUp(java.util.function.Predicate<String> stored) throws IOException {
        if (!Files.isDirectory(partialDir)) {
            return;
        }
        try (var files = Files.list(partialDir)) {
            for (Path p : files.toList()) {
                String name = p.getFileName().toString();
                if (name.endsWith(".part") && stored.test(name.substring(0, name.length() - 5))) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    /**
     * Read size of a module body: reads of this size go from the socket straight into the array
     * (no buffering), and the bytes are still in the CPU's cache when they are written on to the
     * file (512 KiB reads left the kernel's copy into the page cache 20 % slower, BENCHMARKS.md, sync).
     */
    static final int DOWNLOAD_BUFFER = 64 * 1024;

    /**
     * One read array per download thread, reused for every module it fetches: a fresh array
     * per module was zeroed by the JVM and collected again, 1,000 times in a sync of 1,000 modules
     * (1.4 % of the on-prem server's CPU in the sync's profile, BENCHMARKS.md). The mirror's download
     * threads end with its run, and their arrays with them.
     */
    private static final ThreadLocal<byte[]> BUFFERS = ThreadLocal.withInitial(() -> new byte[DOWNLOAD_BUFFER]);

    /**
     * Downloads a module into {@code out} (a part file, or the mirror's sink into the blob store),
     * resuming at {@code have} with a {@code Range} request: one blocking {@link HttpURLConnection}
     * read loop on the calling (download) thread,
     * {@value #DOWNLOAD_BUFFER}-byte reads straight from the socket into one array and from there
     * on to {@code out}. The JDK {@code java.net.http} client used before moved each body in 16 KiB
     * heap buffers through its selector thread and a subscriber: most of the on-prem server's CPU
     * per GB (async-profiler, BENCHMARKS.md, sync). What stays the same: the proxy (the client's
     * {@link java.net.ProxySelector}), the connect timeout, no redirects, the same headers; the
     * body is bounded by the signed length; a stall of {@code readTimeout} (no byte arrived, for
     * the answer to start or within the body) fails the download, through the socket's read
     * timeout: the stall watchdog the asynchronous client needed is gone (it cannot end a
     * blocking read anyway: {@link HttpURLConnection#disconnect} waits for the read's lock). An
     * interrupted download thread stops at its next read, or at the latest after
     * {@code readTimeout} when the upstream sends nothing; it never writes after the interrupt.
     *
     * @param hash whether to compute the SHA-256 on the way in
     * @return the SHA-256 of the whole file if asked for and downloaded from its first byte, else {@code null}
     */
    private java.security.MessageDigest download(String sha, long have, long length, boolean hash, ModuleSink out)
            throws IOException {
        URI uri = base.resolve("/v1/sync/blobs/" + sha);
        HttpURLConnection c = open(uri);
        if (have > 0) {
            c.setRequestProperty("Range", "bytes=" + have + "-");
        }
        boolean reusable = false;
        try {
            int status = c.getResponseCode();
            if (status != 200 && status != 206) {
                throw failure(status, "module " + sha);
            }
            boolean append = status == 206;
            if (append && !String.valueOf(c.getHeaderField("Content-Range")).startsWith("bytes " + have + "-")) {
                String message = "the upstream answered a resume of module " + sha + " from byte " + have + " with "
                        + c.getHeaderField("Content-Range");
                throw new IOException(message, new SyncException(SyncException.Reason.PROTOCOL, message));
            }
            long from = append ? have : 0;
            long remaining = length - from;
            java.security.MessageDigest digest = hash && from == 0 ? io.patchfleet.model.Sha256.newDigest() : null;
            byte[] buffer = BUFFERS.get();
            if (!append && have > 0) {
                out.restart(); // the resume was answered with the whole body: nothing kept counts
            }
            try (InputStream in = c.getInputStream()) {
                while (remaining > 0) {
                    int n = in.read(buffer, 0, (int) Math.min(buffer.length, remaining));
                    if (n < 0) {
                        throw new IOException("the upstream closed the connection with " + remaining
                                + " bytes of module " + sha + " to go; the download resumes at the next sync");
                    }
                    if (Thread.currentThread().isInterrupted()) {
                        throw new java.io.InterruptedIOException("interrupted while downloading module " + sha);
                    }
                    if (digest != null) {
                        digest.update(buffer, 0, n);
                    }
                    out.write(buffer, 0, n);
                    remaining -= n;
                    bytes.addAndGet(n);
                }
                // The signed length is written; a body announced longer is not read on (nor its connection reused).
                reusable = c.getContentLengthLong() == length - from;
            }
            // No fsync here: the bytes are checked against the signed digest by the blob store, which
            // makes them durable before it names them; a part damaged by a power loss fails that check
            // and is fetched again.
            return digest;
        } catch (IOException e) {
            if (Thread.currentThread().isInterrupted() && e.getClass() != java.io.InterruptedIOException.class) {
                throw new java.io.InterruptedIOException("interrupted while downloading module " + sha);
            }
            if (e instanceof java.net.SocketTimeoutException) {
                throw new HttpTimeoutException("module " + sha + ": no data from the upstream for " + readTimeout.toSeconds()
                        + " s; the download resumes at the next sync");
            }
            throw e; // the kept bytes stay: the next run resumes from there with a Range request
        } finally {
            if (!reusable) {
                c.disconnect();
            }
        }
    }

    /**
     * A connection for a module body with the HTTP client's settings: its proxy, connect timeout,
     * TLS context, no redirects; the read timeout bounds every wait for bytes (the answer's start
     * and each read after). Connections are kept alive between modules ({@code http.keepAlive}).
     */
    private HttpURLConnection open(URI uri) throws IOException {
        Proxy proxy = http.proxy().map(s -> s.select(uri)).filter(l -> !l.isEmpty()).map(l -> l.get(0)).orElse(Proxy.NO_PROXY);
        HttpURLConnection c = (HttpURLConnection) uri.toURL().openConnection(proxy);
        if (c instanceof javax.net.ssl.HttpsURLConnection https) {
            https.setSSLSocketFactory(http.sslContext().getSocketFactory()); // host name verification stays on
        }
        c.setInstanceFollowRedirects(false);
        c.setUseCaches(false);
        c.setConnectTimeout((int) Math.min(Integer.MAX_VALUE, http.connectTimeout().orElse(readTimeout).toMillis()));
        c.setReadTimeout((int) Math.min(Integer.MAX_VALUE, readTimeout.toMillis()));
        c.setRequestProperty("Authorization", "Bearer " + token);
        c.setRequestProperty("User-Agent", "patchfleet-sync");
        return c;
    }

    private HttpResponse<InputStream> send(String path, Optional<String> range) throws IOException {
        return send(path, range, Optional.empty());
    }

    private HttpRequest request(String path, Optional<String> range, Optional<String> ifNoneMatch) {
        HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(path)).timeout(readTimeout).GET()
                .header("Authorization", "Bearer " + token).header("User-Agent", "patchfleet-sync");
        range.ifPresent(v -> b.header("Range", v));
        ifNoneMatch.ifPresent(v -> b.header("If-None-Match", v));
        return b.build();
    }

    private HttpResponse<InputStream> send(String path, Optional<String> range, Optional<String> ifNoneMatch) throws IOException {
        try {
            return http.send(request(path, range, ifNoneMatch), HttpResponse.BodyHandlers.ofInputStream());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    private IOException failure(int status, String what) {
        SyncException.Reason reason = switch (status) {
            case 401, 403 -> SyncException.Reason.UNAUTHORIZED;
            case 404 -> SyncException.Reason.NOT_FOUND;
            default -> status >= 500 ? SyncException.Reason.UNREACHABLE : SyncException.Reason.PROTOCOL;
        };
        String message = switch (status) {
            case 401 -> "the upstream refused the sync token (401): unknown, revoked or expired";
            case 403 -> "the upstream refused the sync token (403)";
            default -> "the upstream answered " + status + " for " + what;
        };
        return new IOException(message, new SyncException(reason, message));
    }

    private static byte[] bounded(InputStream in, long max) throws IOException {
        byte[] b = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, max + 1));
        if (b.length > max) {
            throw new IOException("the upstream sent more than " + max + " bytes");
        }
        return b;
    }
}
