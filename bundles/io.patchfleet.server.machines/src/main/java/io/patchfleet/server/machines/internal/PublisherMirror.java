package io.patchfleet.server.machines.internal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.patchfleet.model.KernelId;
import io.patchfleet.model.PatchRelease;
import io.patchfleet.model.Sha256;
import io.patchfleet.store.api.BlobInfo;
import io.patchfleet.store.api.BlobStore;
import io.patchfleet.store.api.PatchCatalog;
import io.patchfleet.store.api.StoreException;
import io.patchfleet.sync.api.CatalogMirror;
import io.patchfleet.sync.api.MirrorResult;
import io.patchfleet.sync.api.MirrorSource;
import io.patchfleet.sync.api.ModuleSink;
import io.patchfleet.sync.api.SyncException;
import io.patchfleet.trust.api.DelegatedTargets;
import io.patchfleet.trust.api.MetadataFile;
import io.patchfleet.trust.api.RoleName;
import io.patchfleet.trust.api.TrustAnchor;
import io.patchfleet.trust.api.TrustException;
import io.patchfleet.trust.api.TrustService;
import io.patchfleet.trust.api.TrustedMetadata;
import io.patchfleet.trust.api.Verifier;
import io.patchfleet.trust.api.VerifiedTarget;
import io.patchfleet.trust.tuf.KernelRoles;
import io.patchfleet.trust.tuf.RepositoryDirectory;

/**
 * Keeps a verified mirror of a publisher repository folder and feeds the catalog from it: the
 * server acts as a TUF client of the publisher (pinned root), copies every metadata file it
 * verified into {@code DATA/mirror} verbatim (so machines verify the publisher's own signatures),
 * stores each module in the blob store only after its length and hash match the signed target,
 * and then adds the release to the catalog. A patch therefore appears only when its metadata and
 * its bytes are complete and verified. A revoked target revokes the catalog's release.
 *
 * <p>Runs at start and then on an interval on its own thread; check-ins read the last complete
 * state through {@link #current()} without waiting.
 */
@Component(service = {PublisherMirror.class, CatalogMirror.class}, immediate = true, configurationPid = PublisherMirror.PID)
@Designate(ocd = PublisherMirror.Config.class)
public class PublisherMirror implements CatalogMirror {
    static final String PID = "io.patchfleet.server.mirror";
    private static final Logger LOG = LoggerFactory.getLogger(PublisherMirror.class);
    private static final Pattern FILE = Pattern.compile("(?:[1-9][0-9]{0,18}\\.)?(?:root|timestamp|snapshot|targets|kernel-[A-Za-z0-9._+~-]{1,120})\\.json");

    @ObjectClassDefinition(name = "Patchfleet publisher mirror",
            description = "The publisher repository this server serves and feeds its catalog from")
    public @interface Config {
        @AttributeDefinition(description = "Publisher repository folder (as 'patchfleet publisher' writes it); empty: none")
        String repository() default "";

        @AttributeDefinition(description = "SHA-256 of the publisher's trusted root file (1.root.json); the pin")
        String root_sha256() default "";

        @AttributeDefinition(description = "Trust the repository's first root without a pin. Explicit, visible, and only for a repository you control")
        boolean trust_on_first_use() default false;

        @AttributeDefinition(description = "Seconds between refreshes", min = "1")
        long interval_seconds() default 60;
    }

    /** What the last complete refresh verified. */
    record State(TrustedMetadata metadata, Map<String, DelegatedTargets> roles, String rootJson, Instant refreshedAt,
            java.util.List<PatchRelease> releases, int added, Optional<String> selection, Instant rolesExpire) {
        Optional<DelegatedTargets> forKernel(KernelId kernel) {
            return Optional.ofNullable(roles.get(KernelRoles.roleFor(kernel)));
        }
    }

    private final TrustService trust;
    private final PatchCatalog catalog;
    private final BlobStore blobs;
    private final Path mirrorDir;
    private final ScheduledExecutorService scheduler;
    private volatile Config config;
    private ScheduledFuture<?> schedule;
    private volatile State state;
    /** Guarded by the refresh lock ({@code synchronized refresh}). */
    private Verifier verifier;
    /**
     * The verifier's store, one for the mirror's life: the delegated role files an update writes
     * are forced to disk together ({@link RepositoryDirectory#mirror}), by the instance that wrote
     * them. Opening it recovers a batch a crash interrupted.
     */
    private RepositoryDirectory store;
    private volatile String lastError;
    /**
     * Mirrored files by name, read once: check-ins answer with them. Versioned files never change;
     * the unversioned ones (timestamp.json, root.json, ...) change only in {@link #refresh}, which
     * clears this after writing them. Bounded by what the mirror holds (a few files per kernel).
     */
    private final Map<String, byte[]> files = new java.util.concurrent.ConcurrentHashMap<>();
    /** Raised by each refresh; a file read before it is not cached after it. */
    private final java.util.concurrent.atomic.AtomicLong filesGeneration = new java.util.concurrent.atomic.AtomicLong();

    @Activate
    public PublisherMirror(BundleContext context, Config config, @Reference TrustService trust,
            @Reference PatchCatalog catalog, @Reference BlobStore blobs) {
        this(Path.of(context.getProperty("patchfleet.data"), "mirror"), config, trust, catalog, blobs);
    }

    PublisherMirror(Path mirrorDir, Config config, TrustService trust, PatchCatalog catalog, BlobStore blobs) {
        this.trust = trust;
        this.catalog = catalog;
        this.blobs = blobs;
        this.mirrorDir = mirrorDir;
        this.scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "patchfleet-mirror");
            t.setDaemon(true);
            return t;
        });
        configure(config);
    }

    /** A new configuration applies at once, without restarting the routes that use the mirror. */
    @Modified
    synchronized void configure(Config config) {
        this.config = config;
        try {
            store(); // before anything is served: a role file torn by a power loss is deleted, never served
        } catch (IOException e) {
            LOG.error("Checking the mirrored role files in {} after an interrupted sync failed ({}); the next sync "
                    + "tries again", mirrorDir, e.getMessage());
        }
        if (schedule != null) {
            schedule.cancel(false);
            schedule = null;
        }
        if (config.repository().isBlank()) {
            LOG.info("No publisher repository configured ({}.cfg: repository); the catalog is fed by sync or import", PID);
            if (Files.isRegularFile(mirrorDir.resolve("metadata").resolve("1.root.json"))) {
                // Fed by sync or import: serve what was verified before the restart at once, without
                // waiting for the upstream (which may be unreachable). Re-verified from the stored root.
                scheduler.execute(this::loadLocal);
            }
            return;
        }
        schedule = scheduler.scheduleWithFixedDelay(this::refreshQuietly, 0, config.interval_seconds(), TimeUnit.SECONDS);
    }

    @Deactivate
    void deactivate() {
        scheduler.shutdownNow();
    }

    /** The last complete state; empty before the first successful refresh. */
    Optional<State> current() {
        return Optional.ofNullable(state);
    }

    Optional<String> lastError() {
        return Optional.ofNullable(lastError);
    }

    /** A mirrored metadata file by its TUF file name, verbatim; empty for unknown or malformed names. */
    Optional<byte[]> metadataFile(String name) throws IOException {
        if (!FILE.matcher(name).matches()) {
            return Optional.empty();
        }
        byte[] cached = files.get(name);
        if (cached != null) {
            return Optional.of(cached);
        }
        long generation = filesGeneration.get();
        Path file = RepositoryDirectory.repository(mirrorDir).metadataDirectory().resolve(name);
        if (!Files.isRegularFile(file)) {
            return Optional.empty(); // not cached: it may appear with the next refresh
        }
        byte[] bytes = Files.readAllBytes(file);
        if (files.size() < 100_000) {
            files.put(name, bytes);
            if (filesGeneration.get() != generation) {
                files.remove(name);
            }
        }
        return Optional.of(bytes);
    }

    /** Re-verifies the mirror's own files (no network) to restore the served state after a restart. */
    private void loadLocal() {
        if (state != null) {
            return;
        }
        try {
            // A sync killed between saving metadata and storing a module leaves metadata whose module is
            // missing: such a release is simply not offered (the catalog never had it) until sync completes.
            FolderSource local = new FolderSource(RepositoryDirectory.repository(mirrorDir)) {
                @Override
                public boolean wantsRelease(PatchRelease release) {
                    try {
                        return blobs.exists(release.sha256());
                    } catch (StoreException e) {
                        return false;
                    }
                }
            };
            refresh(local, TrustAnchor.trustOnFirstUse(), new long[2]);
        } catch (Exception e) {
            lastError = e.getClass().getSimpleName() + ": " + e.getMessage();
            LOG.error("The mirrored metadata in {} does not verify ({}); nothing is served until the next sync or import "
                    + "succeeds", mirrorDir, e.getMessage());
        }
    }

    private void refreshQuietly() {
        try {
            refresh();
        } catch (Exception e) {
            lastError = e.getClass().getSimpleName() + ": " + e.getMessage();
            LOG.error("Refreshing from the publisher repository {} failed; serving the last verified state: {}",
                    config.repository(), e.getMessage());
        }
    }

    /** One complete refresh from the configured publisher folder. */
    State refresh() throws IOException, TrustException, StoreException {
        RepositoryDirectory upstream = RepositoryDirectory.repository(Path.of(config.repository()));
        return refresh(new FolderSource(upstream), anchor(), new long[2]);
    }

    /**
     * {@link CatalogMirror}: one update from a sync or import source, with the same verification
     * as the folder mirror. Failures are mapped to {@link SyncException} reasons.
     */
    @Override
    public MirrorResult update(MirrorSource source, TrustAnchor anchor) throws SyncException {
        long[] stored = new long[2];
        try {
            State next = refresh(source, anchor, stored);
            return new MirrorResult(next.metadata().timestampVersion(), next.metadata().snapshotVersion(), next.roles().size(),
                    next.releases(), next.added(), (int) stored[0], stored[1]);
        } catch (TrustException e) {
            lastError = source.describe() + ": " + e.getMessage();
            throw new SyncException(SyncException.Reason.VERIFICATION_FAILED, e.getMessage(), e);
        } catch (StoreException e) {
            lastError = source.describe() + ": " + e.getMessage();
            if (e.reason() == StoreException.Reason.DIGEST_MISMATCH || e.reason() == StoreException.Reason.LIMIT) {
                throw new SyncException(SyncException.Reason.VERIFICATION_FAILED, "a module does not match its signed target: "
                        + e.getMessage(), e);
            }
            throw new SyncException(SyncException.Reason.STORAGE, e.getMessage(), e);
        } catch (ModuleMismatch e) {
            lastError = source.describe() + ": " + e.getMessage();
            throw new SyncException(SyncException.Reason.VERIFICATION_FAILED, e.getMessage(), e);
        } catch (IOException e) {
            lastError = source.describe() + ": " + e.getMessage();
            if (e.getCause() instanceof SyncException se) {
                throw se;
            }
            throw new SyncException(SyncException.Reason.UNREACHABLE, e.getMessage(), e);
        } catch (RuntimeException e) {
            lastError = source.describe() + ": " + e.getMessage();
            throw new SyncException(SyncException.Reason.PROTOCOL, String.valueOf(e.getMessage()), e);
        }
    }

    /**
     * One complete refresh; the trusted state and the catalog change only for what verified.
     *
     * @param stored out: [0] modules stored, [1] their bytes
     */
    synchronized State refresh(MirrorSource source, TrustAnchor anchor, long[] stored)
            throws IOException, TrustException, StoreException {
        boolean complete = false;
        try {
            State next = refreshOnce(source, anchor, stored);
            complete = true;
            return next;
        } finally {
            if (!complete) {
                verifier = null; // after a failure, reopen from the stored files (and a possibly new anchor)
                if (store != null) {
                    try {
                        store.flush(); // what verified before the failure stays, durably
                    } catch (IOException e) {
                        LOG.warn("Forcing the mirrored role files in {} to disk failed ({}); they are checked again "
                                + "at the next start", mirrorDir, e.getMessage());
                    }
                }
            }
        }
    }

    private State refreshOnce(MirrorSource source, TrustAnchor anchor, long[] stored)
            throws IOException, TrustException, StoreException {
        Instant start = Instant.now();
        RepositoryDirectory mirror = store();
        // One verifier for the mirror's life: its trusted state is what it saved in mirrorDir (only this
        // method writes there, serialized), so reopening it each time only re-read and re-verified the
        // stored files: most of a no-change sync of 10,000 releases (BENCHMARKS.md, sync). The anchor
        // matters only while no root is stored; a failed open leaves none.
        if (verifier == null) {
            verifier = trust.open(anchor, mirror);
        }
        TrustedMetadata metadata = verifier.refresh(source, start);
        State unchanged = unchanged(state, metadata, source, start);
        if (unchanged != null) {
            return unchanged;
        }
        Map<String, DelegatedTargets> roles = new LinkedHashMap<>();
        java.util.List<PatchRelease> releases = new java.util.ArrayList<>();
        // Modules to fetch, by digest (two targets with the same bytes are fetched once).
        Map<Sha256, VerifiedTarget> needed = new LinkedHashMap<>();
        // Incremental: a delegated role whose version the new snapshot still lists, under the same root
        // and top-level targets (so the same delegation keys), is the file verified last time; reuse it
        // while it has not expired instead of parsing and verifying it again. Releases the last complete
        // update verified, stored and put in the catalog need neither a blob check nor a catalog write.
        // A no-change sync of 10,000 releases is then a timestamp and a listing (BENCHMARKS.md, sync).
        State prev = state;
        boolean sameDelegations = prev != null && prev.metadata().root().equals(metadata.root())
                && prev.metadata().targetsVersion() == metadata.targetsVersion();
        java.util.Set<PatchRelease> known = prev == null ? java.util.Set.of() : new java.util.HashSet<>(prev.releases());
        io.patchfleet.store.api.BlobBatch batch = blobs.batch();
        // Pipelined: a role's modules start downloading as soon as that role is verified, while the
        // next roles are fetched, verified and saved on this thread. One
        // after the other, the metadata of 100 roles took 2.9 s of a 11.8 s sync of 1 GB before the
        // first module was asked for (BENCHMARKS.md, sync). Only verified targets are ever fetched.
        // The roles to fetch are known now: the source may ask for their files ahead of the verifier
        // (one round trip after the other was most of the metadata time of a 100-role sync).
        long metadataDone;
        java.util.List<String> toVerify = new java.util.ArrayList<>();
        for (String role : metadata.delegatedRoles().keySet()) {
            if (source.wantsRole(role) && reusable(sameDelegations ? prev.roles().get(role) : null, metadata, role, start) == null) {
                toVerify.add(role);
            }
        }
        verifier.expectDelegated(toVerify, source);
        try (ModuleDownloads downloads = new ModuleDownloads(source, batch)) {
            for (String role : metadata.delegatedRoles().keySet()) {
                if (!source.wantsRole(role)) {
                    continue;
                }
                DelegatedTargets old = reusable(sameDelegations ? prev.roles().get(role) : null, metadata, role, start);
                DelegatedTargets targets = old != null ? old : verifier.delegatedTargets(role, source, start);
                roles.put(role, targets);
                for (VerifiedTarget target : targets.targets().values()) {
                    if (target.patch().isPresent() && source.wantsRelease(target.patch().get())) {
                        if (known.contains(target.patch().get())) {
                            releases.add(target.patch().get()); // stored and in the catalog since the last update
                            continue;
                        }
                        if (!blobs.exists(target.patch().get().sha256()) && needed.putIfAbsent(target.patch().get().sha256(), target) == null) {
                            stored[1] += target.length();
                            downloads.submit(target);
                        }
                        releases.add(target.patch().get());
                    }
                }
            }
            metadataDone = System.nanoTime();
            // The verified roles' files, forced to disk together while the modules download (each on
            // its own was a journal commit that held the next role back: BENCHMARKS.md, sync), and
            // before the catalog can offer anything they list.
            mirror.flush();
            downloads.awaitAll();
        }
        long modulesDone = System.nanoTime();
        // Releases about to be added whose module was already there (a sync killed before its batch
        // committed, then this restart or run): make their names durable with this commit too.
        for (PatchRelease r : releases) {
            if (!known.contains(r) && !needed.containsKey(r.sha256())) {
                batch.keep(r.sha256());
            }
        }
        String rootJson = mirror.load(RoleName.ROOT).map(MetadataFile::content)
                .map(b -> new String(b, StandardCharsets.UTF_8)).orElseThrow();
        // Each module's content was forced to disk before its name appeared; the folders naming them
        // are synced by the batch's commit, on its own thread: meanwhile the catalog rows are written
        // in one transaction (one durable commit for a sync of thousands), which commits, and so
        // offers the releases, only once the blob commit is done; if that fails, nothing is added.
        // One after the other they took 0.5-1.1 s and ~0.35 s of a 1 GB sync (BENCHMARKS.md, sync).
        long[] committedAt = new long[1];
        java.util.concurrent.FutureTask<Void> blobCommit = new java.util.concurrent.FutureTask<>(() -> {
            batch.commit();
            committedAt[0] = System.nanoTime();
            return null;
        });
        Thread committer = new Thread(blobCommit, "patchfleet-mirror-commit");
        committer.setDaemon(true);
        committer.start();
        java.util.List<PatchRelease> addedReleases;
        try {
            addedReleases = catalog.addAll(releases.stream().filter(r -> !known.contains(r)).toList(),
                    () -> awaitBlobCommit(blobCommit));
        } finally {
            awaitBlobCommitQuietly(blobCommit); // never leave a commit running behind a failed catalog write
        }
        long committed = committedAt[0];
        int added = addedReleases.size();
        long cataloged = System.nanoTime();
        stored[0] = needed.size();
        for (PatchRelease release : addedReleases) {
            LOG.info("Catalog: {} {} v{}{}", release.kernel().release(), release.kernel().architecture(),
                    release.version(), release.revoked() ? " (revoked)" : "");
        }
        Instant rolesExpire = roles.values().stream().map(DelegatedTargets::expires).min(Instant::compareTo).orElse(Instant.MAX);
        State next = new State(metadata, Map.copyOf(roles), rootJson, start, java.util.List.copyOf(releases), added,
                source.selectionKey(), rolesExpire);
        state = next;
        filesGeneration.incrementAndGet();
        files.clear();
        lastError = null;
        LOG.info("Mirror refreshed from {} in {} ms: timestamp v{}, {} kernel roles, {} new catalog entries, {} modules stored"
                + " (roles verified after {} ms, modules stored after {} ms, blob commit {} ms, catalog with the blob commit {} ms)",
                source.describe(), Duration.between(start, Instant.now()).toMillis(), metadata.timestampVersion(), roles.size(),
                added, stored[0], sinceStart(start, metadataDone), sinceStart(start, modulesDone), (committed - modulesDone) / 1_000_000,
                (cataloged - modulesDone) / 1_000_000);
        return next;
    }

    /** The verifier's store; opening it first recovers a batch of role files a crash interrupted. */
    private synchronized RepositoryDirectory store() throws IOException {
        if (store == null) {
            store = RepositoryDirectory.mirror(mirrorDir);
        }
        return store;
    }

    /** Waits for the blob batch's commit; its failure becomes the catalog transaction's. */
    private static void awaitBlobCommit(java.util.concurrent.FutureTask<Void> commit) throws StoreException {
        try {
            commit.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StoreException(StoreException.Reason.UNAVAILABLE, "interrupted while the modules were made durable", e);
        } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof StoreException se) {
                throw se;
            }
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            throw new StoreException(StoreException.Reason.UNAVAILABLE, "making the modules durable failed: " + e.getCause(), e.getCause());
        }
    }

    private static void awaitBlobCommitQuietly(java.util.concurrent.FutureTask<Void> commit) {
        boolean interrupted = false;
        while (true) {
            try {
                commit.get();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            } catch (java.util.concurrent.ExecutionException e) {
                break; // reported by awaitBlobCommit, or the catalog's own failure is
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** Milliseconds from the update's start to a {@link System#nanoTime} reading taken during it. */
    private static long sinceStart(Instant start, long nanoTime) {
        return Duration.between(start, Instant.now()).toMillis() - (System.nanoTime() - nanoTime) / 1_000_000;
    }

    /** The role as the last update verified it, if the snapshot still names that version and it has not expired. */
    private static DelegatedTargets reusable(DelegatedTargets old, TrustedMetadata metadata, String role, Instant start) {
        return old != null && old.version() == metadata.delegatedRoles().get(role) && start.isBefore(old.expires()) ? old : null;
    }

    /**
     * The last state again, if nothing it was built from changed: the same root, top-level targets,
     * snapshot and delegated role versions (the timestamp may be newer: re-signed with the same
     * snapshot), the source selecting the same releases (its {@link MirrorSource#selectionKey}),
     * and no role it holds expired (the verifier already checked the top-level roles). Then the
     * walk over every role and release (10,000 releases: most of a no-change sync) would rebuild
     * the same state, and there is nothing to store or add to the catalog.
     *
     * @return {@code null} when the full pass must run
     */
    private State unchanged(State prev, TrustedMetadata metadata, MirrorSource source, Instant now) {
        Optional<String> selection = source.selectionKey();
        if (prev == null || selection.isEmpty() || !selection.equals(prev.selection()) || !now.isBefore(prev.rolesExpire())) {
            return null;
        }
        TrustedMetadata before = prev.metadata();
        if (!before.root().equals(metadata.root()) || before.targetsVersion() != metadata.targetsVersion()
                || before.snapshotVersion() != metadata.snapshotVersion()
                || !before.delegatedRoles().equals(metadata.delegatedRoles())) {
            return null;
        }
        State next = new State(metadata, prev.roles(), prev.rootJson(), now, prev.releases(), 0, selection, prev.rolesExpire());
        state = next;
        if (before.timestampVersion() != metadata.timestampVersion()) {
            filesGeneration.incrementAndGet(); // a new timestamp.json was saved: serve it
            files.clear();
        }
        lastError = null;
        LOG.info("Mirror unchanged from {} ({} ms): timestamp v{}, snapshot v{}, {} kernel roles, {} releases", source.describe(),
                Duration.between(now, Instant.now()).toMillis(), metadata.timestampVersion(), metadata.snapshotVersion(),
                prev.roles().size(), prev.releases().size());
        return next;
    }

    /** A module whose bytes do not have the signed length. */
    static final class ModuleMismatch extends IOException {
        private static final long serialVersionUID = 1L;

        ModuleMismatch(String message) {
            super(message);
        }
    }

    /**
     * Stores modules, {@link MirrorSource#parallelism()} at a time, as they are submitted: downloads
     * overlap with each other's verification and fsyncs (measured in BENCHMARKS.md: one at a time
     * spent most of a sync waiting for fsync) and with the metadata of the roles still to come. The
     * first failure stops the others and is thrown (by the next {@link #submit} or by
     * {@link #awaitAll}); modules stored before it stay (they are verified, and the next run does
     * not fetch them again). With a parallelism of 1 every module is stored on the calling thread.
     */
    private final class ModuleDownloads implements AutoCloseable {
        private final MirrorSource source;
        private final io.patchfleet.store.api.BlobBatch batch;
        private final java.util.concurrent.Semaphore permits;
        private final java.util.concurrent.ExecutorService pool;
        private final java.util.List<java.util.concurrent.Future<?>> pending = new java.util.ArrayList<>();
        private final java.util.concurrent.atomic.AtomicReference<Throwable> failure = new java.util.concurrent.atomic.AtomicReference<>();

        ModuleDownloads(MirrorSource source, io.patchfleet.store.api.BlobBatch batch) {
            this.source = source;
            this.batch = batch;
            int parallelism = Math.max(1, source.parallelism());
            this.permits = new java.util.concurrent.Semaphore(parallelism);
            // Twice as many threads as downloads: a module's store step (hash, fsync, rename) runs while
            // the next download already uses the connection. The fsync was a quarter of a download
            // thread's time (BENCHMARKS.md, sync); the permits keep downloads at the source's parallelism.
            this.pool = parallelism == 1 ? null : Executors.newFixedThreadPool(2 * parallelism, r -> {
                Thread t = new Thread(r, "patchfleet-mirror-download");
                t.setDaemon(true);
                return t;
            });
        }

        void submit(VerifiedTarget target) throws IOException, StoreException {
            rethrow(failure.get());
            if (pool == null) {
                storeBlob(source, target, batch, permits);
                return;
            }
            pending.add(pool.submit(() -> {
                if (failure.get() != null) {
                    return; // another module failed: the run stops
                }
                try {
                    storeBlob(source, target, batch, permits);
                } catch (IOException | StoreException | RuntimeException e) {
                    failure.compareAndSet(null, e);
                }
            }));
        }

        void awaitAll() throws IOException, StoreException {
            try {
                for (java.util.concurrent.Future<?> f : pending) {
                    f.get();
                    rethrow(failure.get()); // the first failure at once, not after every other download
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new java.io.InterruptedIOException("interrupted while storing modules");
            } catch (java.util.concurrent.ExecutionException e) {
                rethrow(e.getCause());
            }
            rethrow(failure.get());
        }

        private void rethrow(Throwable t) throws IOException, StoreException {
            if (t == null) {
                return;
            }
            if (t instanceof IOException io) {
                throw io;
            }
            if (t instanceof StoreException se) {
                throw se;
            }
            if (t instanceof RuntimeException re) {
                throw re;
            }
            throw new IOException(t);
        }

        /** Stops what still runs (after a failure: the downloads in flight end at their next read). */
        @Override
        public void close() {
            if (pool != null) {
                pool.shutdownNow();
            }
        }
    }

    /** Stores one module; holds a download permit only while the source delivers its bytes. */
    private void storeBlob(MirrorSource source, VerifiedTarget target, io.patchfleet.store.api.BlobBatch batch,
            java.util.concurrent.Semaphore downloads) throws IOException, StoreException {
        Sha256 sha256 = target.patch().orElseThrow().sha256();
        BlobInfo info;
        try {
            downloads.acquire();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted while waiting to download " + target.name());
        }
        boolean held = true;
        try {
            if (source.transfersTargets() && target.hashes().keySet().equals(java.util.Set.of("sha256"))) {
                // Written into the store as it arrives, hashed on the way, checked by the store before it is
                // named. A target signed with more hashes than SHA-256 (the only one the store knows) takes
                // the paths below, which check them all.
                info = receive(source, target, batch, sha256);
            } else {
                Optional<Path> file = source.targetFile(target);
                if (file.isPresent()) {
                    downloads.release(); // downloaded: the connection is free for the next module
                    held = false;
                    // A finished download: the store moves it into place (no copy) after checking it itself.
                    try {
                        info = batch.adopt(file.get(), Optional.of(sha256), target.length());
                    } catch (StoreException e) {
                        if (e.reason() == StoreException.Reason.DIGEST_MISMATCH || e.reason() == StoreException.Reason.LIMIT) {
                            Files.deleteIfExists(file.get()); // wrong bytes: fetched again from the start next time
                        }
                        throw e;
                    }
                } else {
                    try (InputStream in = source.openTarget(target)) {
                        // The blob store checks the digest and the length cap; the exact length is checked here.
                        info = batch.put(in, Optional.of(sha256), target.length());
                    }
                }
            }
        } finally {
            if (held) {
                downloads.release();
            }
        }
        if (info.length() != target.length()) {
            blobs.delete(sha256);
            throw new ModuleMismatch("module " + target.name() + " is " + info.length() + " bytes, the publisher signed "
                    + target.length());
        }
    }

    /**
     * Has the source write a module into a {@link io.patchfleet.store.api.BlobReceiver} of the
     * batch, continuing after what an interrupted earlier run kept. If the whole does not check and
     * part of it was kept from before (never forced to disk: a power loss may have damaged it), it
     * is fetched once more from the first byte before the module counts as wrong.
     */
    private BlobInfo receive(MirrorSource source, VerifiedTarget target, io.patchfleet.store.api.BlobBatch batch,
            Sha256 sha256) throws IOException, StoreException {
        for (boolean fromStart = false; ; fromStart = true) {
            try (io.patchfleet.store.api.BlobReceiver receiver = batch.receive(sha256, target.length())) {
                if (fromStart && receiver.position() > 0) {
                    receiver.restart();
                }
                long kept = receiver.position();
                ReceiverSink sink = new ReceiverSink(receiver);
                try {
                    source.transferTarget(target, sink);
                } catch (IOException e) {
                    throw sink.unwrap(e);
                }
                try {
                    return receiver.complete();
                } catch (StoreException e) {
                    if (e.reason() != StoreException.Reason.DIGEST_MISMATCH || kept == 0) {
                        throw e; // wrong from the first byte: the upstream's bytes are wrong
                    }
                    LOG.info("Module {}: the {} bytes kept from an earlier run did not check; fetching it again from the start",
                            target.name(), kept);
                }
            }
        }
    }

    /** A blob receiver as the source's sink; the store's own failures travel through it and are unwrapped again. */
    private static final class ReceiverSink implements ModuleSink {
        private final io.patchfleet.store.api.BlobReceiver receiver;
        private StoreException failure;

        ReceiverSink(io.patchfleet.store.api.BlobReceiver receiver) {
            this.receiver = receiver;
        }

        @Override
        public long position() {
            return receiver.position();
        }

        @Override
        public void write(byte[] bytes, int offset, int length) throws IOException {
            try {
                receiver.write(bytes, offset, length);
            } catch (StoreException e) {
                failure = e;
                throw new IOException(e.getMessage(), e);
            }
        }

        @Override
        public void restart() throws IOException {
            try {
                receiver.restart();
            } catch (StoreException e) {
                failure = e;
                throw new IOException(e.getMessage(), e);
            }
        }

        /** Throws the store's failure if the transfer failed because of it (a disk error, more bytes than signed); else returns the source's. */
        IOException unwrap(IOException e) throws StoreException {
            if (failure != null) {
                throw failure;
            }
            return e;
        }
    }

    /** The publisher repository folder as a source. */
    private static class FolderSource implements MirrorSource {
        private final RepositoryDirectory folder;

        FolderSource(RepositoryDirectory folder) {
            this.folder = folder;
        }

        @Override
        public Optional<MetadataFile> fetch(String fileName, long maxLength) throws IOException {
            return folder.fetch(fileName, maxLength);
        }

        @Override
        public String describe() {
            return "publisher folder " + folder.metadataDirectory().getParent();
        }

        @Override
        public InputStream openTarget(VerifiedTarget target) throws IOException {
            return Files.newInputStream(folder.targetPath(target.name()));
        }
    }

    private TrustAnchor anchor() {
        if (!config.root_sha256().isBlank()) {
            return TrustAnchor.pinned(Sha256.of(config.root_sha256().trim().toLowerCase()));
        }
        if (config.trust_on_first_use()) {
            LOG.warn("Trusting the publisher repository's first root without a pin (trust.on.first.use=true)");
            return TrustAnchor.trustOnFirstUse();
        }
        throw new IllegalStateException("No trust anchor for the publisher repository: set root.sha256 (sha256sum of "
                + "metadata/1.root.json) in " + PID + ".cfg, or trust.on.first.use=true for a repository you control");
    }
}
