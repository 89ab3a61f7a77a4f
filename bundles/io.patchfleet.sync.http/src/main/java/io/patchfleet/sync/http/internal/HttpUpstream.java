package io.patchfleet.sync.http.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
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
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.patchfleet.model.PatchRelease;
import io.patchfleet.sync.api.MirrorSource;
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
    private final ScheduledExecutorService watchdog;
    private final SyncFilter filter;
    private final java.util.function.Predicate<PatchRelease> haveLocally;
    private final int parallelism;
    final AtomicLong metadataFiles = new AtomicLong();
    final AtomicLong metadataBytes = new AtomicLong();
    final AtomicLong blobs = new AtomicLong();
    final AtomicLong bytes = new AtomicLong();
    volatile String step = "metadata";
    private Map<String, Listed> listed;
    private List<Listed> withdrawn = List.of();
    private String listingEtag = "";

    HttpUpstream(HttpClient http, URI base, String token, Duration readTimeout, Path partialDir,
            ScheduledExecutorService watchdog, SyncFilter filter, java.util.function.Predicate<PatchRelease> haveLocally,
            int parallelism) {
        this.parallelism = Math.max(1, parallelism);
        this.http = http;
        this.base = base;
        this.token = token;
        this.readTimeout = readTimeout;
        this.partialDir = partialDir;
        this.watchdog = watchdog;
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

    /**
     * The upstream, the filters and the listing's ETag: the same key means the same releases
     * wanted (no ETag: unknown, so the mirror walks everything).
     */
    @Override
    public Optional<String> selectionKey() {
        return listingEtag.isEmpty() ? Optional.empty() : Optional.of(base + "|" + filter + "|" + listingEtag);
    }

    Map<String, Listed> listed() {
        return listed == null ? Map.of() : listed;
    }

    List<Listed> withdrawn() {
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
        HttpResponse<InputStream> r = send("/v1/sync/metadata/" + fileName, Optional.empty());
        try (InputStream in = r.body()) {
            if (r.statusCode() == 404) {
                return Optional.empty();
            }
            if (r.statusCode() != 200) {
                throw failure(r.statusCode(), fileName);
            }
            byte[] content = bounded(in, maxLength);
            metadataFiles.incrementAndGet();
            metadataBytes.addAndGet(content.length);
            return Optional.of(new MetadataFile(fileName, content));
        }
    }

    @Override
    public InputStream openTarget(VerifiedTarget target) throws IOException {
        step = "modules";
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
            digest = download(sha, part, have, target.length(), true);
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
        blobs.incrementAndGet();
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
            download(sha, part, have, target.length(), false);
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
                download(sha, part, 0, target.length(), false); // the kept part was bad: once more from the start
            }
        }
        blobs.incrementAndGet();
        return Optional.of(part);
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
     * Downloads a module into its part file, resuming at {@code have} with a Range request. The
     * body is written into the file by the HTTP client's own threads as it arrives ({@link ToFile}):
     * no stream between them, no copy into an intermediate array and no thread hand-off per chunk,
     * which was most of a download thread's waiting on a loaded machine (BENCHMARKS.md, sync).
     *
     * @param hash whether to compute the SHA-256 on the way in
     * @return the SHA-256 of the whole file if asked for and downloaded from its first byte, else {@code null}
     */
    private java.security.MessageDigest download(String sha, Path part, long have, long length, boolean hash)
            throws IOException {
        Optional<String> range = have > 0 ? Optional.of("bytes=" + have + "-") : Optional.empty();
        AtomicLong lastProgress = new AtomicLong(System.nanoTime());
        java.util.concurrent.atomic.AtomicReference<ToFile> sink = new java.util.concurrent.atomic.AtomicReference<>();
        HttpResponse.BodyHandler<Void> handler = info -> {
            if (info.statusCode() != 200 && info.statusCode() != 206) {
                return HttpResponse.BodySubscribers.replacing(null); // an error: its body is not kept
            }
            boolean append = info.statusCode() == 206;
            long from = append ? have : 0;
            ToFile t = new ToFile(part, append, length - from,
                    hash && from == 0 ? io.patchfleet.model.Sha256.newDigest() : null, lastProgress);
            sink.set(t);
            return t;
        };
        java.util.concurrent.CompletableFuture<HttpResponse<Void>> response = http.sendAsync(
                request("/v1/sync/blobs/" + sha, range, Optional.empty()), handler);
        ScheduledFuture<?> guard = watchdog.scheduleAtFixedRate(() -> {
            ToFile t = sink.get(); // until the headers arrive, the request's own timeout bounds the wait
            if (t != null && System.nanoTime() - lastProgress.get() > readTimeout.toNanos()) {
                t.abort(new HttpTimeoutException("module " + sha + ": no data from the upstream for "
                        + readTimeout.toSeconds() + " s"));
            }
        }, 1, 1, TimeUnit.SECONDS);
        HttpResponse<Void> r;
        try {
            r = response.get();
        } catch (InterruptedException e) {
            response.cancel(true);
            ToFile t = sink.get();
            if (t != null) {
                t.abort(new java.io.InterruptedIOException("interrupted"));
            }
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted while downloading module " + sha);
        } catch (java.util.concurrent.ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof IOException io) {
                throw io; // the kept bytes stay: the next run resumes from there with a Range request
            }
            throw new IOException("module " + sha + ": " + cause, cause);
        } finally {
            guard.cancel(false);
        }
        if (r.statusCode() != 200 && r.statusCode() != 206) {
            throw failure(r.statusCode(), "module " + sha);
        }
        // No fsync here: the bytes are checked against the signed digest by the blob store, which
        // forces them to disk before it names them; after kill -9 the page cache still holds them,
        // and a part damaged by a power loss fails that check and is fetched again.
        return sink.get().digest;
    }

    /**
     * A response body written into a part file as it arrives, at most {@code remaining} bytes.
     * Ends with the body (short of {@code remaining}: an error, the bytes kept for a resume), or
     * with {@link #abort} from the stall watchdog.
     */
    private final class ToFile implements HttpResponse.BodySubscriber<Void> {
        private final java.util.concurrent.CompletableFuture<Void> done = new java.util.concurrent.CompletableFuture<>();
        private final Path part;
        private final boolean append;
        private final AtomicLong lastProgress;
        final java.security.MessageDigest digest;
        private long remaining;
        private volatile java.util.concurrent.Flow.Subscription subscription;
        private volatile java.nio.channels.FileChannel out;

        ToFile(Path part, boolean append, long remaining, java.security.MessageDigest digest, AtomicLong lastProgress) {
            this.part = part;
            this.append = append;
            this.remaining = remaining;
            this.digest = digest;
            this.lastProgress = lastProgress;
        }

        @Override
        public void onSubscribe(java.util.concurrent.Flow.Subscription s) {
            subscription = s;
            try {
                out = java.nio.channels.FileChannel.open(part, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                        append ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING);
            } catch (IOException e) {
                abort(e);
                return;
            }
            s.request(1);
        }

        @Override
        public void onNext(List<java.nio.ByteBuffer> items) {
            if (done.isDone()) {
                return;
            }
            try {
                for (java.nio.ByteBuffer b : items) {
                    if (!b.hasRemaining()) {
                        continue;
                    }
                    if (remaining == 0) {
                        // More than the signed length: stop reading, as the stream version did.
                        subscription.cancel();
                        finish();
                        return;
                    }
                    if (b.remaining() > remaining) {
                        b.limit(b.position() + (int) remaining);
                    }
                    int n = b.remaining();
                    if (digest != null) {
                        digest.update(b.duplicate());
                    }
                    while (b.hasRemaining()) {
                        out.write(b);
                    }
                    remaining -= n;
                    bytes.addAndGet(n);
                }
                lastProgress.set(System.nanoTime());
                subscription.request(1);
            } catch (IOException e) {
                abort(e);
            }
        }

        @Override
        public void onError(Throwable t) {
            close();
            done.completeExceptionally(t);
        }

        @Override
        public void onComplete() {
            if (remaining > 0) {
                close();
                done.completeExceptionally(new IOException("the upstream closed the connection with " + remaining
                        + " bytes to go; the download resumes at the next sync"));
            } else {
                finish();
            }
        }

        private void finish() {
            close();
            done.complete(null);
        }

        void abort(IOException e) {
            java.util.concurrent.Flow.Subscription s = subscription;
            if (s != null) {
                s.cancel();
            }
            close();
            done.completeExceptionally(e);
        }

        private synchronized void close() {
            if (out != null) {
                try {
                    out.close();
                } catch (IOException ignored) {
                    // the download fails or is complete either way
                }
                out = null;
            }
        }

        @Override
        public java.util.concurrent.CompletionStage<Void> getBody() {
            return done;
        }
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
