package io.patchfleet.blob.fs.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.patchfleet.model.Sha256;
import io.patchfleet.store.api.BlobBatch;
import io.patchfleet.store.api.StoreException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Batches made durable with a {@link FileSystemSync} (one file-system sync before the adopted
 * files get their names, one after) instead of an fsync per file and folder: the order that
 * keeps a name from ever pointing at content that is not on disk, failures that leave the files
 * to be adopted again, and the real Linux {@code syncfs} through JNA.
 */
class FsBlobStoreSyncfsTest {
    @TempDir
    Path dir;

    private static byte[] content(long seed) {
        byte[] b = new byte[70_000];
        new Random(seed).nextBytes(b);
        return b;
    }

    /** Records calls; at each sync, which of the watched digests already have their name. */
    static final class Recording implements FileSystemSync {
        final List<Path> writeback = new CopyOnWriteArrayList<>();
        final List<List<Boolean>> namedAtSync = new ArrayList<>();
        final AtomicInteger failNext = new AtomicInteger();
        FsBlobStore store;
        List<Sha256> watched = List.of();

        @Override
        public void startWriteback(Path file) {
            assertTrue(Files.isRegularFile(file), "writeback of a file that is not there: " + file);
            writeback.add(file);
        }

        @Override
        public void syncFileSystem(Path anyPath) throws IOException {
            namedAtSync.add(watched.stream().map(s -> Files.exists(store.path(s))).toList());
            if (failNext.getAndDecrement() > 0) {
                throw new IOException("syncfs failed: errno 5 (EIO: a write to the disk failed)");
            }
        }

        @Override
        public String describe() {
            return "recording";
        }
    }

    private List<Path> downloads(int count, long seed) throws IOException {
        Path downloads = Files.createDirectories(dir.resolve("partial"));
        List<Path> files = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            Path f = downloads.resolve("m" + seed + "-" + i + ".part");
            Files.write(f, content(seed * 100 + i));
            files.add(f);
        }
        return files;
    }

    @Test
    void contentIsSyncedBeforeAnyNameAndNamesAfterwards() throws Exception {
        Recording fs = new Recording();
        AtomicInteger fileForces = new AtomicInteger();
        AtomicInteger folderSyncs = new AtomicInteger();
        FsBlobStore store = new FsBlobStore(dir.resolve("blobs"), d -> folderSyncs.incrementAndGet(),
                f -> fileForces.incrementAndGet(), Optional.of(fs));
        folderSyncs.set(0); // the store's creation synced the root once
        fs.store = store;
        List<Path> files = downloads(3, 1);
        List<Sha256> shas = new ArrayList<>();
        for (Path f : files) {
            shas.add(Sha256.digestOf(Files.readAllBytes(f)));
        }
        fs.watched = shas;
        BlobBatch batch = store.batch();
        for (int i = 0; i < files.size(); i++) {
            assertEquals(shas.get(i), batch.adopt(files.get(i), Optional.of(shas.get(i)), 1 << 20).sha256());
        }
        assertEquals(files, fs.writeback, "each adopted file's writeback starts when it is adopted");
        shas.forEach(s -> assertFalse(Files.exists(store.path(s)), "named before the commit"));
        batch.commit();
        assertEquals(List.of(List.of(false, false, false), List.of(true, true, true)), fs.namedAtSync,
                "one sync with no name yet (content first), one after every name exists");
        for (int i = 0; i < files.size(); i++) {
            assertFalse(Files.exists(files.get(i)), "moved, not copied");
            try (InputStream in = store.open(shas.get(i), 0)) {
                assertArrayEquals(content(100 + i), in.readAllBytes());
            }
        }
        assertEquals(0, fileForces.get(), "no per-file fsync");
        assertEquals(0, folderSyncs.get(), "no per-folder fsync");
    }

    @Test
    void aFailedSyncNamesNothingAndTheFilesCanBeAdoptedAgain() throws Exception {
        Recording fs = new Recording();
        FsBlobStore store = new FsBlobStore(dir.resolve("blobs"), d -> { }, f -> { }, Optional.of(fs));
        fs.store = store;
        List<Path> files = downloads(2, 2);
        List<Sha256> shas = new ArrayList<>();
        for (Path f : files) {
            shas.add(Sha256.digestOf(Files.readAllBytes(f)));
        }
        BlobBatch batch = store.batch();
        for (int i = 0; i < files.size(); i++) {
            batch.adopt(files.get(i), Optional.of(shas.get(i)), 1 << 20);
        }
        fs.failNext.set(1);
        StoreException e = assertThrows(StoreException.class, batch::commit);
        assertEquals(StoreException.Reason.UNAVAILABLE, e.reason());
        assertTrue(e.getMessage().contains("EIO"), e.getMessage());
        for (int i = 0; i < files.size(); i++) {
            assertFalse(Files.exists(store.path(shas.get(i))), "a name after a failed sync");
            assertTrue(Files.exists(files.get(i)), "the download must stay for the next run");
        }
        BlobBatch again = store.batch();
        for (int i = 0; i < files.size(); i++) {
            again.adopt(files.get(i), Optional.of(shas.get(i)), 1 << 20);
        }
        again.commit();
        shas.forEach(s -> assertTrue(Files.exists(store.path(s))));
    }

    @Test
    void aFailedSecondSyncIsReportedAndLeavesOnlyNamesWhoseContentWasSynced() throws Exception {
        List<Integer> calls = new CopyOnWriteArrayList<>();
        FileSystemSync secondFails = new FileSystemSync() {
            @Override
            public void startWriteback(Path f) {
            }

            @Override
            public void syncFileSystem(Path anyPath) throws IOException {
                calls.add(calls.size() + 1);
                if (calls.size() == 2) {
                    throw new IOException("syncfs failed: errno 28");
                }
            }

            @Override
            public String describe() {
                return "the second sync fails";
            }
        };
        FsBlobStore store = new FsBlobStore(dir.resolve("blobs"), d -> { }, f -> { }, Optional.of(secondFails));
        Path file = downloads(1, 4).get(0);
        Sha256 sha = Sha256.digestOf(Files.readAllBytes(file));
        BlobBatch batch = store.batch();
        batch.adopt(file, Optional.of(sha), 1 << 20);
        StoreException e = assertThrows(StoreException.class, batch::commit);
        assertTrue(e.getMessage().contains("names durable"), e.getMessage());
        assertEquals(List.of(1, 2), calls);
        assertTrue(Files.exists(store.path(sha)), "named after the first sync made its content durable");
    }

    @Test
    void theRealSyncfsOnLinux() throws Exception {
        assumeTrue("Linux".equals(System.getProperty("os.name")), "syncfs is Linux only");
        assumeTrue(FileSystemSync.atLeast(System.getProperty("os.version"), 5, 8), "syncfs reports errors from Linux 5.8");
        FileSystemSync fs = FileSystemSync.platform().orElseThrow(() -> new AssertionError("JNA could not load libc"));
        Path blobs = dir.resolve("blobs");
        FsBlobStore store = new FsBlobStore(blobs);
        List<Path> files = downloads(4, 5);
        BlobBatch batch = store.batch();
        List<Sha256> shas = new ArrayList<>();
        for (Path f : files) {
            Sha256 sha = Sha256.digestOf(Files.readAllBytes(f));
            shas.add(sha);
            batch.adopt(f, Optional.of(sha), 1 << 20);
        }
        batch.commit();
        for (int i = 0; i < shas.size(); i++) {
            try (InputStream in = store.open(shas.get(i), 0)) {
                assertArrayEquals(content(500 + i), in.readAllBytes());
            }
        }
        fs.startWriteback(dir.resolve("no-such-file")); // best effort: no exception
        IOException e = assertThrows(IOException.class, () -> fs.syncFileSystem(dir.resolve("no-such-dir")));
        assertTrue(e.getMessage().contains("no-such-dir"), e.getMessage());
    }

    @Test
    void kernelReleasesAreComparedByMajorAndMinor() {
        assertTrue(FileSystemSync.atLeast("6.1.0-13-amd64", 5, 8));
        assertTrue(FileSystemSync.atLeast("5.8.0", 5, 8));
        assertTrue(FileSystemSync.atLeast("5.10", 5, 8));
        assertFalse(FileSystemSync.atLeast("5.4.0-150-generic", 5, 8));
        assertFalse(FileSystemSync.atLeast("4.19.0", 5, 8));
        assertFalse(FileSystemSync.atLeast("", 5, 8));
        assertFalse(FileSystemSync.atLeast("linux", 5, 8));
    }
}
