package io.patchfleet.server.machines.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.patchfleet.model.KernelId;
import io.patchfleet.model.PatchRelease;
import io.patchfleet.model.Sha256;
import io.patchfleet.store.api.StoreException;
import io.patchfleet.sync.api.MirrorResult;
import io.patchfleet.sync.api.MirrorSource;
import io.patchfleet.sync.api.SyncException;
import io.patchfleet.trust.api.MetadataFile;
import io.patchfleet.trust.api.TrustAnchor;
import io.patchfleet.trust.api.TrustService;
import io.patchfleet.trust.api.VerifiedTarget;
import io.patchfleet.trust.tuf.RepositoryDirectory;
import io.patchfleet.trust.tuf.Tuf;

/**
 * The mirror's update from a sync source (the on-prem side of sync) against a real signed
 * publisher repository: downloaded files are adopted by the blob store through one batch that is
 * committed before the catalog sees the releases, a file with wrong bytes is refused and deleted,
 * and an update that finds nothing changed keeps the last result without walking the releases.
 */
class MirrorUpdateTest {
    @TempDir
    Path dir;

    TrustService trust;
    List<PatchRelease> published;
    RepositoryDirectory repo;
    TrustAnchor anchor;
    ServerFakes.MemoryCatalog catalog;
    ServerFakes.MemoryBlobs blobs;
    PublisherMirror mirror;

    @BeforeEach
    void publisherAndMirror() throws Exception {
        trust = Tuf.trustService();
        Path repoDir = dir.resolve("publisher");
        published = FleetSimulationTest.publish(trust, repoDir);
        repo = RepositoryDirectory.repository(repoDir);
        anchor = TrustAnchor.pinned(Sha256.of(HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                .digest(Files.readAllBytes(repoDir.resolve("metadata/1.root.json"))))));
        catalog = new ServerFakes.MemoryCatalog(FleetSimulationTest.TIERS);
        blobs = new ServerFakes.MemoryBlobs();
        // No publisher folder configured: fed by sync, like an on-prem server.
        mirror = new PublisherMirror(dir.resolve("mirror"), FleetSimulationTest.config(PublisherMirror.Config.class,
                Map.of("repository", "", "interval_seconds", 3600L)), trust, catalog, blobs);
    }

    /** A download source over the publisher folder: modules as files in a download folder. */
    class Downloads implements MirrorSource {
        final Path downloads = dir.resolve("downloads");
        final List<Path> handedOut = new ArrayList<>();
        final AtomicInteger wantsRelease = new AtomicInteger();
        Optional<String> selection = Optional.empty();
        boolean tamper;
        /** The publisher folder it reads from. */
        RepositoryDirectory from = repo;

        @Override
        public Optional<MetadataFile> fetch(String fileName, long maxLength) throws IOException {
            return from.fetch(fileName, maxLength);
        }

        @Override
        public String describe() {
            return "test downloads";
        }

        @Override
        public boolean wantsRelease(PatchRelease release) {
            wantsRelease.incrementAndGet();
            return true;
        }

        @Override
        public InputStream openTarget(VerifiedTarget target) {
            throw new AssertionError("a source with files is read through targetFile");
        }

        @Override
        public synchronized Optional<Path> targetFile(VerifiedTarget target) throws IOException {
            Files.createDirectories(downloads);
            Path file = downloads.resolve(target.patch().orElseThrow().sha256().hex() + ".part");
            byte[] bytes = Files.readAllBytes(from.targetPath(target.name()));
            if (tamper) {
                bytes[bytes.length / 2] ^= 1;
            }
            Files.write(file, bytes);
            handedOut.add(file);
            return Optional.of(file);
        }

        @Override
        public Optional<String> selectionKey() {
            return selection;
        }
    }

    /** A source that writes modules into the mirror's sink, as the HTTP upstream does. */
    class Transfers extends Downloads {
        /** Bytes of each transfer after which the connection "drops" (once); 0: never. */
        volatile int cutAfter;
        /** Whether the source can resume (Range); else it restarts the sink. */
        boolean resumes = true;
        final List<Long> startedAt = new java.util.concurrent.CopyOnWriteArrayList<>();

        @Override
        public boolean transfersTargets() {
            return true;
        }

        @Override
        public Optional<Path> targetFile(VerifiedTarget target) {
            throw new AssertionError("a transferring source is read through transferTarget");
        }

        @Override
        public void transferTarget(VerifiedTarget target, io.patchfleet.sync.api.ModuleSink sink) throws IOException {
            byte[] bytes = Files.readAllBytes(from.targetPath(target.name()));
            if (tamper) {
                bytes[bytes.length / 2] ^= 1;
            }
            long from = sink.position();
            if (!resumes && from > 0) {
                sink.restart();
                from = 0;
            }
            startedAt.add(from);
            int end = bytes.length;
            if (cutAfter > 0) {
                end = (int) Math.min(end, from + cutAfter);
                cutAfter = 0;
                sink.write(bytes, (int) from, end - (int) from);
                throw new IOException("connection dropped");
            }
            sink.write(bytes, (int) from, end - (int) from);
        }
    }

    @Test
    void transferredModulesAreReceivedByTheStoreThroughOneBatchCommittedBeforeTheCatalog() throws Exception {
        Transfers source = new Transfers();

        MirrorResult result = mirror.update(source, anchor);

        assertEquals(2, result.blobs());
        assertEquals(2, blobs.received.get(), "written into the store's receivers, neither adopted nor streamed");
        assertEquals(0, blobs.adopted.get());
        assertEquals(1, blobs.commits.get());
        for (PatchRelease r : catalog.findByKernel(FleetSimulationTest.KERNEL)) {
            assertArrayEquals(Files.readAllBytes(repo.targetPath(r.targetName())), blobs.blobs.get(r.sha256()));
        }
        assertEquals(2, catalog.findByKernel(FleetSimulationTest.KERNEL).size());
    }

    @Test
    void aTamperedTransferIsRefusedAndNothingAppears() throws Exception {
        Transfers source = new Transfers();
        source.tamper = true;

        SyncException e = assertThrows(SyncException.class, () -> mirror.update(source, anchor));

        assertEquals(SyncException.Reason.VERIFICATION_FAILED, e.reason(), e.getMessage());
        assertTrue(catalog.findByKernel(FleetSimulationTest.KERNEL).isEmpty(), "no release without its verified module");
        assertTrue(blobs.blobs.isEmpty(), "nothing stored");
        assertTrue(blobs.receiving.isEmpty(), "wrong bytes are not kept for a resume");
    }

    @Test
    void anInterruptedTransferResumesInTheNextRunAfterWhatTheStoreKept() throws Exception {
        Transfers source = new Transfers();
        source.cutAfter = 100;
        assertThrows(SyncException.class, () -> mirror.update(source, anchor));
        assertTrue(catalog.findByKernel(FleetSimulationTest.KERNEL).isEmpty());
        assertFalse(blobs.receiving.isEmpty(), "the bytes that came are kept");

        mirror.update(source, anchor);

        assertEquals(2, catalog.findByKernel(FleetSimulationTest.KERNEL).size());
        assertTrue(source.startedAt.contains(100L), "resumed after the kept bytes: " + source.startedAt);
        for (PatchRelease r : catalog.findByKernel(FleetSimulationTest.KERNEL)) {
            assertArrayEquals(Files.readAllBytes(repo.targetPath(r.targetName())), blobs.blobs.get(r.sha256()));
        }
    }

    @Test
    void aDamagedKeptPartIsFetchedOnceMoreFromTheStartBeforeTheModuleCountsAsWrong() throws Exception {
        Transfers source = new Transfers();
        // What a power loss leaves of an interrupted run: the kept bytes came back as zeros.
        for (PatchRelease r : repoReleases()) {
            blobs.receiving.put(r.sha256(), new byte[300]);
        }

        mirror.update(source, anchor);

        assertEquals(2, catalog.findByKernel(FleetSimulationTest.KERNEL).size());
        assertEquals(List.of(300L, 300L, 0L, 0L), source.startedAt.stream().sorted(java.util.Comparator.reverseOrder()).toList(),
                "each resumed, then fetched whole");
    }

    /** The releases the test repository publishes, from a first update of a scratch mirror. */
    private List<PatchRelease> repoReleases() throws Exception {
        ServerFakes.MemoryCatalog c = new ServerFakes.MemoryCatalog(FleetSimulationTest.TIERS);
        new PublisherMirror(dir.resolve("scratch"), FleetSimulationTest.config(PublisherMirror.Config.class,
                Map.of("repository", "", "interval_seconds", 3600L)), trust, c, new ServerFakes.MemoryBlobs())
                .update(new Downloads(), anchor);
        return c.findByKernel(FleetSimulationTest.KERNEL);
    }

    @Test
    void downloadedFilesAreAdoptedThroughOneBatchCommittedBeforeTheCatalog() throws Exception {
        Downloads source = new Downloads();

        MirrorResult result = mirror.update(source, anchor);

        assertEquals(2, result.blobs(), "both modules stored");
        assertEquals(2, blobs.adopted.get(), "the downloaded files were adopted, not streamed");
        assertEquals(1, blobs.commits.get(), "one batch commit for the whole update");
        assertEquals(2, catalog.findByKernel(FleetSimulationTest.KERNEL).size());
        for (Path f : source.handedOut) {
            assertFalse(Files.exists(f), "the adopted file " + f + " moved into the store");
        }
        for (PatchRelease r : catalog.findByKernel(FleetSimulationTest.KERNEL)) {
            assertTrue(blobs.exists(r.sha256()), "the catalog's release " + r.version() + " has its module");
        }
        // The role files were forced to disk in one batch before the catalog: no marker of a pending batch is left.
        Path metadata = dir.resolve("mirror/metadata");
        assertFalse(Files.exists(metadata.resolve(".delegated-unsynced")), "the batch of role files was flushed");
        try (var files = Files.list(metadata)) {
            assertTrue(files.anyMatch(f -> f.getFileName().toString().startsWith("kernel-")), "the kernel's role file is stored");
        }
    }

    @Test
    void aRoleFileTornByAnInterruptedBatchIsDeletedWhenTheMirrorStartsBeforeAnythingIsServed() throws Exception {
        mirror.update(new Downloads(), anchor);
        Path metadata = dir.resolve("mirror/metadata");
        String role;
        try (var files = Files.list(metadata)) {
            role = files.map(f -> f.getFileName().toString()).filter(n -> n.matches("[0-9]+\\.kernel-.*\\.json"))
                    .findFirst().orElseThrow();
        }
        assertTrue(mirror.metadataFile(role).isPresent());
        // A batch a power loss interrupted: its marker on disk, a role file written after it, torn.
        Files.write(metadata.resolve(".delegated-unsynced"), new byte[0]);
        byte[] whole = Files.readAllBytes(metadata.resolve(role));
        Files.write(metadata.resolve(role), java.util.Arrays.copyOf(whole, whole.length / 3));

        PublisherMirror restarted = new PublisherMirror(dir.resolve("mirror"), FleetSimulationTest.config(PublisherMirror.Config.class,
                Map.of("repository", "", "interval_seconds", 3600L)), trust, catalog, blobs);

        assertFalse(Files.exists(metadata.resolve(role)), "the torn file is gone as the component starts");
        assertTrue(restarted.metadataFile(role).isEmpty(), "and is never served");
        assertFalse(Files.exists(metadata.resolve(".delegated-unsynced")));
        restarted.deactivate();
    }

    @Test
    void aBlobCommitThatFailsAddsNothingToTheCatalogAndServesNothingNew() throws Exception {
        blobs.failCommit = new StoreException(StoreException.Reason.UNAVAILABLE, "syncfs: input/output error");

        SyncException e = assertThrows(SyncException.class, () -> mirror.update(new Downloads(), anchor));

        assertEquals(SyncException.Reason.STORAGE, e.reason(), e.getMessage());
        assertTrue(e.getMessage().contains("input/output error"), e.getMessage());
        assertEquals(1, blobs.commits.get());
        assertTrue(catalog.findByKernel(FleetSimulationTest.KERNEL).isEmpty(), "the catalog's transaction waited for the commit and rolled back");
        assertTrue(mirror.current().isEmpty(), "no new state is served");

        blobs.failCommit = null;
        MirrorResult again = mirror.update(new Downloads(), anchor);
        assertEquals(2, catalog.findByKernel(FleetSimulationTest.KERNEL).size(), "the next run adds them");
        assertEquals(2, again.added());
    }

    @Test
    void aDownloadedFileWithWrongBytesIsRefusedDeletedAndNothingAppears() throws Exception {
        Downloads source = new Downloads();
        source.tamper = true;

        SyncException e = assertThrows(SyncException.class, () -> mirror.update(source, anchor));

        assertEquals(SyncException.Reason.VERIFICATION_FAILED, e.reason(), e.getMessage());
        assertTrue(catalog.findByKernel(FleetSimulationTest.KERNEL).isEmpty(), "no release without its verified module");
        assertTrue(blobs.blobs.isEmpty(), "nothing stored");
        assertFalse(source.handedOut.isEmpty());
        for (Path f : source.handedOut) {
            assertFalse(Files.exists(f), "the bad download " + f + " is deleted, so the next run fetches it again");
        }
    }

    @Test
    void anUnchangedUpdateWithTheSameSelectionSkipsTheWalkOverReleases() throws Exception {
        Downloads source = new Downloads();
        source.selection = Optional.of("listing-v1");
        MirrorResult first = mirror.update(source, anchor);
        assertEquals(2, first.releases().size());
        assertTrue(source.wantsRelease.get() > 0);

        source.wantsRelease.set(0);
        MirrorResult again = mirror.update(source, anchor);
        assertEquals(0, source.wantsRelease.get(), "nothing changed: no release is looked at again");
        assertEquals(first.releases(), again.releases(), "the same verified releases are served");
        assertEquals(0, again.added());
        assertEquals(0, again.blobs());

        source.selection = Optional.of("listing-v2"); // the upstream's listing changed: walk again
        MirrorResult changed = mirror.update(source, anchor);
        assertTrue(source.wantsRelease.get() > 0, "a new listing is looked at");
        assertEquals(2, changed.releases().size());

        source.wantsRelease.set(0);
        source.selection = Optional.empty(); // a source that cannot tell: always the full pass
        mirror.update(source, anchor);
        mirror.update(source, anchor);
        assertEquals(4, source.wantsRelease.get(), "without a selection key each update walks both releases");
    }

    @Test
    void aModuleStoredByAnEarlierUncommittedRunIsKeptDurableByThisCommit() throws Exception {
        // a sync killed after storing one module, before its batch commit and catalog rows
        PatchRelease stored = published.get(0);
        blobs.put(Files.newInputStream(repo.targetPath(stored.targetName())), Optional.of(stored.sha256()), stored.length());
        Downloads source = new Downloads();

        mirror.update(source, anchor);

        assertEquals(1, blobs.adopted.get(), "only the missing module was downloaded");
        assertEquals(1, blobs.kept.get(), "the one already there is made durable with the same commit");
        assertEquals(2, catalog.findByKernel(FleetSimulationTest.KERNEL).size());
    }

    @Test
    void aVerifiedRolesModulesDownloadWhileTheNextRolesAreStillFetched() throws Exception {
        // Given a publication with two kernel series (two delegated roles), and a source that holds
        // back the second role's file until a module download has started (at most 10 s)
        Path repoDir = dir.resolve("publisher-2");
        KernelId other = KernelId.of("6.1.0-99-amd64", "x86_64", "");
        List<PatchRelease> two = FleetSimulationTest.publish(trust, repoDir, List.of(FleetSimulationTest.KERNEL, other));
        RepositoryDirectory repo2 = RepositoryDirectory.repository(repoDir);
        TrustAnchor anchor2 = TrustAnchor.pinned(Sha256.of(HexFormat.of().formatHex(java.security.MessageDigest
                .getInstance("SHA-256").digest(Files.readAllBytes(repoDir.resolve("metadata/1.root.json"))))));
        java.util.concurrent.CountDownLatch downloading = new java.util.concurrent.CountDownLatch(1);
        AtomicInteger roleFetches = new AtomicInteger();
        java.util.concurrent.atomic.AtomicBoolean overlapped = new java.util.concurrent.atomic.AtomicBoolean();
        Downloads source = new Downloads() {
            @Override
            public Optional<MetadataFile> fetch(String fileName, long maxLength) throws IOException {
                if (fileName.contains("kernel-") && roleFetches.incrementAndGet() == 2) {
                    try {
                        overlapped.set(downloading.await(10, java.util.concurrent.TimeUnit.SECONDS));
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new java.io.InterruptedIOException();
                    }
                }
                return super.fetch(fileName, maxLength);
            }

            @Override
            public int parallelism() {
                return 2;
            }

            @Override
            public Optional<Path> targetFile(VerifiedTarget target) throws IOException {
                downloading.countDown();
                return super.targetFile(target);
            }
        };
        source.from = repo2;
        PublisherMirror fresh = new PublisherMirror(dir.resolve("mirror-2"), FleetSimulationTest.config(
                PublisherMirror.Config.class, Map.of("repository", "", "interval_seconds", 3600L)), trust, catalog, blobs);

        // When the mirror updates from it
        MirrorResult result = fresh.update(source, anchor2);

        // Then the first role's modules were being downloaded before the second role was fetched,
        // and everything still arrives, through one batch, before the catalog
        assertTrue(overlapped.get(), "a module download started while the second role was still to be fetched");
        assertEquals(2, roleFetches.get());
        assertEquals(4, result.blobs());
        assertEquals(1, blobs.commits.get());
        assertEquals(2, catalog.findByKernel(FleetSimulationTest.KERNEL).size());
        assertEquals(2, catalog.findByKernel(other).size());
        for (PatchRelease r : two) {
            assertTrue(blobs.exists(r.sha256()), "release " + r.kernel().release() + " v" + r.version() + " has its module");
        }
    }

    @Test
    void aLaterRoleThatFailsVerificationStopsTheRunAfterEarlierModulesStartedAndNothingAppears() throws Exception {
        // Given two kernel series, the second role's file altered on the way (its signature breaks)
        Path repoDir = dir.resolve("publisher-3");
        KernelId other = KernelId.of("6.1.0-98-amd64", "x86_64", "");
        FleetSimulationTest.publish(trust, repoDir, List.of(FleetSimulationTest.KERNEL, other));
        RepositoryDirectory repo3 = RepositoryDirectory.repository(repoDir);
        TrustAnchor anchor3 = TrustAnchor.pinned(Sha256.of(HexFormat.of().formatHex(java.security.MessageDigest
                .getInstance("SHA-256").digest(Files.readAllBytes(repoDir.resolve("metadata/1.root.json"))))));
        AtomicInteger roleFetches = new AtomicInteger();
        Downloads source = new Downloads() {
            @Override
            public Optional<MetadataFile> fetch(String fileName, long maxLength) throws IOException {
                Optional<MetadataFile> f = super.fetch(fileName, maxLength);
                if (f.isPresent() && fileName.contains("kernel-") && roleFetches.incrementAndGet() == 2) {
                    byte[] bytes = f.get().content().clone();
                    String text = new String(bytes, java.nio.charset.StandardCharsets.UTF_8);
                    // same length, one character of a target's length changed: the signed bytes no longer match
                    int at = text.indexOf("\"length\"");
                    int digit = at + text.substring(at).indexOf(':') + 1;
                    while (!Character.isDigit(text.charAt(digit))) {
                        digit++;
                    }
                    bytes[digit] = (byte) (bytes[digit] == '9' ? '8' : bytes[digit] + 1);
                    return Optional.of(new MetadataFile(f.get().name(), bytes));
                }
                return f;
            }

            @Override
            public int parallelism() {
                return 2;
            }
        };
        source.from = repo3;
        PublisherMirror fresh = new PublisherMirror(dir.resolve("mirror-3"), FleetSimulationTest.config(
                PublisherMirror.Config.class, Map.of("repository", "", "interval_seconds", 3600L)), trust, catalog, blobs);

        // When the mirror updates from it, then the run fails as a verification failure, no batch
        // is committed and the catalog shows neither series
        SyncException e = assertThrows(SyncException.class, () -> fresh.update(source, anchor3));
        assertEquals(SyncException.Reason.VERIFICATION_FAILED, e.reason(), e.getMessage());
        assertEquals(2, roleFetches.get());
        assertEquals(0, blobs.commits.get(), "no batch commit");
        assertTrue(catalog.findByKernel(FleetSimulationTest.KERNEL).isEmpty(), "nothing of the first series appears");
        assertTrue(catalog.findByKernel(other).isEmpty(), "nothing of the altered series appears");
        assertTrue(fresh.current().isEmpty(), "no verified state is served");
        // The first role verified and was saved: it is forced to disk when the run fails, not left pending.
        assertFalse(Files.exists(dir.resolve("mirror-3/metadata/.delegated-unsynced")), "flushed after the failure");
    }
}
