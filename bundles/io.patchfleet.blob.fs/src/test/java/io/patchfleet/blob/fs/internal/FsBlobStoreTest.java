package io.patchfleet.blob.fs.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.patchfleet.model.Sha256;
import io.patchfleet.store.api.BlobBatch;
import io.patchfleet.store.api.BlobInfo;
import io.patchfleet.store.api.StoreException;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FsBlobStoreTest {
    @TempDir
    Path root;

    private static byte[] content(int size, long seed) {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        return b;
    }

    private static long filesUnder(Path dir) throws Exception {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile).count();
        }
    }

    @Test
    void putThenReadBackByDigest() throws Exception {
        FsBlobStore store = new FsBlobStore(root);
        byte[] data = content(200_000, 1);
        Sha256 sha = Sha256.digestOf(data);

        BlobInfo info = store.put(new ByteArrayInputStream(data), Optional.of(sha), 1_000_000);

        assertEquals(new BlobInfo(sha, data.length), info);
        assertTrue(store.exists(sha));
        assertEquals(Optional.of(info), store.stat(sha));
        try (InputStream in = store.open(sha, 0)) {
            assertArrayEquals(data, in.readAllBytes());
        }
        String hex = sha.hex();
        assertTrue(Files.isRegularFile(root.resolve(hex.substring(0, 2)).resolve(hex.substring(2, 4)).resolve(hex)));
        assertEquals(0, filesUnder(root.resolve(FsBlobStore.TMP)));
    }

    @Test
    void putWithoutExpectedDigestNamesTheContent() throws Exception {
        FsBlobStore store = new FsBlobStore(root);
        byte[] data = "hello".getBytes();
        assertEquals(Sha256.digestOf(data), store.put(new ByteArrayInputStream(data), Optional.empty(), 5).sha256());
        BlobInfo empty = store.put(new ByteArrayInputStream(new byte[0]), Optional.empty(), 0);
        assertEquals(0, empty.length());
    }

    @Test
    void wrongDigestIsRefusedAndNothingIsVisible() throws Exception {
        FsBlobStore store = new FsBlobStore(root);
        byte[] data = content(10_000, 2);
        Sha256 other = Sha256.digestOf(new byte[] {1});

        StoreException e = assertThrows(StoreException.class,
                () -> store.put(new ByteArrayInputStream(data), Optional.of(other), 1_000_000));

        assertEquals(StoreException.Reason.DIGEST_MISMATCH, e.reason());
        assertFalse(store.exists(other));
        assertFalse(store.exists(Sha256.digestOf(data)));
        assertEquals(0, filesUnder(root));
    }

    @Test
    void oversizedContentIsRefusedAndNothingIsVisible() throws Exception {
        FsBlobStore store = new FsBlobStore(root);
        byte[] data = content(100_001, 3);

        StoreException e = assertThrows(StoreException.class,
                () -> store.put(new ByteArrayInputStream(data), Optional.empty(), 100_000));

        assertEquals(StoreException.Reason.LIMIT, e.reason());
        assertFalse(store.exists(Sha256.digestOf(data)));
        assertEquals(0, filesUnder(root));
        // exactly the limit is fine
        byte[] fits = content(100_000, 3);
        assertEquals(100_000, store.put(new ByteArrayInputStream(fits), Optional.empty(), 100_000).length());
    }

    @Test
    void openAtOffsetReadsTheRestForRangeRequests() throws Exception {
        FsBlobStore store = new FsBlobStore(root);
        byte[] data = content(70_000, 4);
        Sha256 sha = store.put(new ByteArrayInputStream(data), Optional.empty(), data.length).sha256();

        try (InputStream in = store.open(sha, 65_536)) {
            byte[] rest = in.readAllBytes();
            assertEquals(data.length - 65_536, rest.length);
            assertEquals(data[65_536], rest[0]);
            assertEquals(data[data.length - 1], rest[rest.length - 1]);
        }
        try (InputStream in = store.open(sha, data.length)) {
            assertEquals(0, in.readAllBytes().length);
        }
        assertThrows(IllegalArgumentException.class, () -> store.open(sha, data.length + 1L));
        assertThrows(IllegalArgumentException.class, () -> store.open(sha, -1));
    }

    @Test
    void missingBlobIsNotFound() throws Exception {
        FsBlobStore store = new FsBlobStore(root);
        Sha256 none = Sha256.digestOf(new byte[] {9});
        assertEquals(StoreException.Reason.NOT_FOUND, assertThrows(StoreException.class, () -> store.open(none, 0)).reason());
        assertEquals(Optional.empty(), store.stat(none));
        assertFalse(store.delete(none));
    }

    @Test
    void putIsIdempotentAndDeleteRemoves() throws Exception {
        FsBlobStore store = new FsBlobStore(root);
        byte[] data = content(1000, 5);
        BlobInfo first = store.put(new ByteArrayInputStream(data), Optional.empty(), 1000);
        BlobInfo again = store.put(new ByteArrayInputStream(data), Optional.empty(), 1000);
        assertEquals(first, again);
        assertEquals(1, filesUnder(root));

        assertTrue(store.delete(first.sha256()));
        assertFalse(store.exists(first.sha256()));
        assertFalse(store.delete(first.sha256()));
    }

    @Test
    void readerOfADeletedBlobFinishes() throws Exception {
        FsBlobStore store = new FsBlobStore(root);
        byte[] data = content(5000, 6);
        Sha256 sha = store.put(new ByteArrayInputStream(data), Optional.empty(), 5000).sha256();
        try (InputStream in = store.open(sha, 0)) {
            store.delete(sha);
            assertArrayEquals(data, in.readAllBytes());
        }
    }

    @Test
    void concurrentPutsOfTheSameContentAllSucceed() throws Exception {
        FsBlobStore store = new FsBlobStore(root);
        byte[] data = content(300_000, 7);
        Sha256 sha = Sha256.digestOf(data);
        int threads = 8;
        CyclicBarrier start = new CyclicBarrier(threads);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<BlobInfo>> results = new ArrayList<>();
            for (int i = 0; i < threads; i++) {
                results.add(pool.submit(() -> {
                    start.await(10, TimeUnit.SECONDS);
                    return store.put(new ByteArrayInputStream(data), Optional.of(sha), data.length);
                }));
            }
            for (Future<BlobInfo> f : results) {
                assertEquals(new BlobInfo(sha, data.length), f.get(30, TimeUnit.SECONDS));
            }
        } finally {
            pool.shutdownNow();
        }
        try (InputStream in = store.open(sha, 0)) {
            assertArrayEquals(data, in.readAllBytes());
        }
        assertEquals(1, filesUnder(root));
    }

    @Test
    void leftoverTempFilesAreRemovedAtStart() throws Exception {
        new FsBlobStore(root);
        Path leftover = root.resolve(FsBlobStore.TMP).resolve("put-123.part");
        Files.write(leftover, content(100, 8));

        new FsBlobStore(root);

        assertFalse(Files.exists(leftover));
    }

    @Test
    void failingInputStoresNothing() throws Exception {
        FsBlobStore store = new FsBlobStore(root);
        InputStream broken = new InputStream() {
            int left = 10_000;

            @Override
            public int read() throws java.io.IOException {
                if (left-- <= 0) {
                    throw new java.io.IOException("connection reset");
                }
                return 42;
            }
        };
        StoreException e = assertThrows(StoreException.class, () -> store.put(broken, Optional.empty(), 1_000_000));
        assertEquals(StoreException.Reason.UNAVAILABLE, e.reason());
        assertEquals(0, filesUnder(root));
    }

    @Test
    void onlyValidatedDigestsBecomePaths() {
        // A path trick cannot even be expressed: names are Sha256 values, validated on construction.
        assertThrows(IllegalArgumentException.class, () -> Sha256.of("../../etc/passwd"));
        assertThrows(IllegalArgumentException.class, () -> Sha256.of("AB".repeat(32)));
    }

    // ---- adopt and batches

    /** A downloaded file beside the store, on the same file system. */
    private Path download(Path dir, byte[] data) throws Exception {
        Files.createDirectories(dir);
        Path f = Files.createTempFile(dir, "dl-", ".part");
        Files.write(f, data);
        return f;
    }

    @Test
    void adoptMovesTheFileIntoPlaceWithoutCopyingIt() throws Exception {
        FsBlobStore store = new FsBlobStore(root.resolve("blobs"));
        byte[] data = content(300_000, 7);
        Sha256 sha = Sha256.digestOf(data);
        Path file = download(root.resolve("partial"), data);
        Object inode = Files.getAttribute(file, "unix:ino");

        BlobInfo info = store.adopt(file, Optional.of(sha), data.length);

        assertEquals(new BlobInfo(sha, data.length), info);
        assertFalse(Files.exists(file), "the file moved into the store");
        assertEquals(inode, Files.getAttribute(store.path(sha), "unix:ino"), "renamed, not copied");
        try (InputStream in = store.open(sha, 0)) {
            assertArrayEquals(data, in.readAllBytes());
        }
    }

    @Test
    void adoptChecksTheContentItselfAndLeavesAWrongFileWhereItWas() throws Exception {
        FsBlobStore store = new FsBlobStore(root.resolve("blobs"));
        byte[] data = content(10_000, 8);
        Sha256 claimed = Sha256.digestOf(content(10_000, 9));
        Path file = download(root.resolve("partial"), data);

        StoreException e = assertThrows(StoreException.class, () -> store.adopt(file, Optional.of(claimed), data.length));

        assertEquals(StoreException.Reason.DIGEST_MISMATCH, e.reason());
        assertFalse(store.exists(claimed));
        assertFalse(store.exists(Sha256.digestOf(data)), "nothing stored under the content's own name either");
        assertTrue(Files.exists(file), "the caller's file is left for the caller");
        assertEquals(0, store.inventory().blobs().size());
    }

    @Test
    void adoptRefusesAFileBeyondTheLimit() throws Exception {
        FsBlobStore store = new FsBlobStore(root.resolve("blobs"));
        byte[] data = content(10_001, 10);
        Path file = download(root.resolve("partial"), data);

        StoreException e = assertThrows(StoreException.class,
                () -> store.adopt(file, Optional.of(Sha256.digestOf(data)), 10_000));

        assertEquals(StoreException.Reason.LIMIT, e.reason());
        assertFalse(store.exists(Sha256.digestOf(data)));
        assertTrue(Files.exists(file));
    }

    @Test
    void adoptOfContentAlreadyStoredDeletesTheFile() throws Exception {
        FsBlobStore store = new FsBlobStore(root.resolve("blobs"));
        byte[] data = content(5_000, 11);
        Sha256 sha = Sha256.digestOf(data);
        store.put(new ByteArrayInputStream(data), Optional.of(sha), data.length);
        Path file = download(root.resolve("partial"), data);

        assertEquals(new BlobInfo(sha, data.length), store.adopt(file, Optional.of(sha), data.length));

        assertFalse(Files.exists(file));
        assertEquals(1, store.inventory().blobs().size());
    }

    @Test
    void theFirstLevelFoldersExistFromTheStart() throws Exception {
        List<Path> synced = new ArrayList<>();
        FsBlobStore store = new FsBlobStore(root.resolve("blobs"), synced::add);
        try (Stream<Path> s = Files.list(root.resolve("blobs"))) {
            assertEquals(258, s.filter(Files::isDirectory).count(), "00..ff, .tmp and .receiving");
        }
        assertEquals(List.of(root.resolve("blobs").toAbsolutePath().normalize()), synced, "the root synced once");
        synced.clear();
        new FsBlobStore(root.resolve("blobs"), synced::add);
        assertTrue(synced.isEmpty(), "nothing to sync when they exist");
        assertEquals(0, store.inventory().blobs().size());
    }

    @Test
    void aBatchSyncsEachChangedFolderOnceAtCommitAndNotBefore() throws Exception {
        List<Path> synced = java.util.Collections.synchronizedList(new ArrayList<>());
        FsBlobStore store = new FsBlobStore(root.resolve("blobs"), synced::add);
        synced.clear();
        BlobBatch batch = store.batch();
        List<Sha256> stored = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            byte[] data = content(1_000 + i, 100 + i);
            Sha256 sha = Sha256.digestOf(data);
            if (i % 2 == 0) {
                batch.adopt(download(root.resolve("partial"), data), Optional.of(sha), data.length);
            } else {
                batch.put(new ByteArrayInputStream(data), Optional.of(sha), data.length);
                assertTrue(store.exists(sha), "a put is visible in the store at once");
            }
            stored.add(sha);
        }
        assertTrue(synced.isEmpty(), "no folder synced before the commit: " + synced);

        batch.commit();
        for (Sha256 sha : stored) {
            assertTrue(store.exists(sha), "every blob in the store once the commit returned: " + sha);
        }

        java.util.Set<Path> expected = new java.util.HashSet<>();
        for (Sha256 sha : stored) {
            expected.add(store.path(sha).getParent()); // the blob's entry
            expected.add(store.path(sha).getParent().getParent()); // the new second-level folder's entry
        }
        assertEquals(expected, new java.util.HashSet<>(synced), "every changed folder synced");
        assertEquals(synced.size(), new java.util.HashSet<>(synced).size(), "each once");
        synced.clear();
        batch.commit();
        assertTrue(synced.isEmpty(), "nothing new to sync");
    }

    @Test
    void aSinglePutIntoAFolderABatchCreatedSyncsItsParentToo() throws Exception {
        List<Path> synced = java.util.Collections.synchronizedList(new ArrayList<>());
        FsBlobStore store = new FsBlobStore(root.resolve("blobs"), synced::add);
        byte[] first = content(32, 1);
        BlobBatch batch = store.batch();
        batch.put(new ByteArrayInputStream(first), Optional.empty(), first.length);
        Path folder = store.path(Sha256.digestOf(first)).getParent();
        // Another blob in the same second-level folder: same first four hex digits.
        byte[] second = null;
        for (long seed = 2; second == null; seed++) {
            byte[] c = content(32, seed); // about 65,000 tries: small contents
            if (store.path(Sha256.digestOf(c)).getParent().equals(folder)) {
                second = c;
            }
        }
        synced.clear();

        store.put(new ByteArrayInputStream(second), Optional.empty(), second.length);

        assertTrue(synced.contains(folder), "its own folder");
        assertTrue(synced.contains(folder.getParent()), "and the parent naming the folder the batch has not committed yet");
    }

    @Test
    void keepMakesAnEarlierBlobsNameDurableAtCommit() throws Exception {
        List<Path> synced = java.util.Collections.synchronizedList(new ArrayList<>());
        FsBlobStore store = new FsBlobStore(root.resolve("blobs"), synced::add);
        byte[] data = content(3_000, 12);
        Sha256 sha = Sha256.digestOf(data);
        store.batch().put(new ByteArrayInputStream(data), Optional.of(sha), data.length); // never committed
        synced.clear();

        BlobBatch next = store.batch();
        next.keep(sha);
        next.commit();

        assertEquals(java.util.Set.of(store.path(sha).getParent(), store.path(sha).getParent().getParent()),
                new java.util.HashSet<>(synced));
        StoreException e = assertThrows(StoreException.class, () -> next.keep(Sha256.digestOf(content(10, 13))));
        assertEquals(StoreException.Reason.NOT_FOUND, e.reason());
    }

    // ---- a batch's adoptions: forced and renamed in the background, finished by the commit

    @Test
    void aBatchAdoptForcesEachFilesContentBeforeItsNameExists() throws Exception {
        java.util.Map<Path, Boolean> namedWhenForced = new java.util.concurrent.ConcurrentHashMap<>();
        java.util.Map<Path, Sha256> shaOf = new java.util.concurrent.ConcurrentHashMap<>();
        FsBlobStore[] holder = new FsBlobStore[1];
        FsBlobStore store = new FsBlobStore(root.resolve("blobs"), d -> { }, f -> {
            namedWhenForced.put(f, Files.exists(holder[0].path(shaOf.get(f))));
            try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(f, java.nio.file.StandardOpenOption.READ)) {
                ch.force(true);
            }
        });
        holder[0] = store;
        BlobBatch batch = store.batch();
        List<Path> files = new ArrayList<>();
        List<Sha256> shas = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            byte[] data = content(20_000 + i, 500 + i);
            Path file = download(root.resolve("partial"), data);
            shaOf.put(file, Sha256.digestOf(data));
            assertEquals(new BlobInfo(Sha256.digestOf(data), data.length), batch.adopt(file, Optional.of(Sha256.digestOf(data)),
                    data.length), "checked and answered at once");
            files.add(file);
            shas.add(Sha256.digestOf(data));
        }

        batch.commit();

        assertEquals(new java.util.HashSet<>(files), namedWhenForced.keySet(), "every adopted file forced, before the commit returned");
        assertFalse(namedWhenForced.containsValue(true), "never a name before its content was forced: " + namedWhenForced);
        for (int i = 0; i < files.size(); i++) {
            assertFalse(Files.exists(files.get(i)), "moved into the store");
            assertEquals(20_000 + i, Files.size(store.path(shas.get(i))));
        }
    }

    @Test
    void aBatchSyncsItsFoldersConcurrentlyAtCommit() throws Exception {
        // Given a store whose folder syncs each wait until a second one runs beside it (at most 10 s)
        java.util.concurrent.atomic.AtomicInteger running = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.atomic.AtomicInteger most = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.CountDownLatch two = new java.util.concurrent.CountDownLatch(2);
        java.util.concurrent.atomic.AtomicBoolean armed = new java.util.concurrent.atomic.AtomicBoolean();
        FsBlobStore store = new FsBlobStore(root.resolve("blobs"), d -> {
            if (!armed.get()) {
                return;
            }
            most.accumulateAndGet(running.incrementAndGet(), Math::max);
            two.countDown();
            try {
                two.await(10, java.util.concurrent.TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            running.decrementAndGet();
        });
        BlobBatch batch = store.batch();
        for (int i = 0; i < 20; i++) {
            byte[] data = content(2_000 + i, 300 + i);
            batch.adopt(download(root.resolve("partial"), data), Optional.of(Sha256.digestOf(data)), data.length);
        }
        armed.set(true);
        long t0 = System.nanoTime();

        batch.commit();

        // Then at least two folder syncs ran at once (one after the other, the first would wait out its 10 s)
        assertTrue(most.get() >= 2, "folder syncs ran side by side: at most " + most.get() + " at once");
        assertTrue(System.nanoTime() - t0 < java.util.concurrent.TimeUnit.SECONDS.toNanos(9), "no sync waited out its bound");
    }

    @Test
    void aFolderThatCannotBeSyncedFailsTheCommitAndIsSyncedByTheNextOne() throws Exception {
        java.util.concurrent.atomic.AtomicBoolean broken = new java.util.concurrent.atomic.AtomicBoolean();
        List<Path> synced = java.util.Collections.synchronizedList(new ArrayList<>());
        FsBlobStore store = new FsBlobStore(root.resolve("blobs"), d -> {
            if (broken.get()) {
                throw new java.io.IOException("simulated folder sync error");
            }
            synced.add(d);
        });
        byte[] data = content(6_000, 43);
        Sha256 sha = Sha256.digestOf(data);
        BlobBatch batch = store.batch();
        batch.adopt(download(root.resolve("partial"), data), Optional.of(sha), data.length);
        broken.set(true);

        StoreException e = assertThrows(StoreException.class, batch::commit);
        assertEquals(StoreException.Reason.UNAVAILABLE, e.reason());
        assertTrue(e.getMessage().contains("simulated folder sync error"), e.getMessage());

        broken.set(false);
        synced.clear();
        batch.commit();
        assertTrue(synced.contains(store.path(sha).getParent()), "the folder naming the blob is synced by the next commit");
    }

    @Test
    void aBatchWhoseFileCannotBeForcedFailsItsCommitAndNamesNothing() throws Exception {
        FsBlobStore store = new FsBlobStore(root.resolve("blobs"), d -> { }, f -> {
            throw new java.io.IOException("simulated disk error");
        });
        byte[] data = content(5_000, 41);
        Sha256 sha = Sha256.digestOf(data);
        Path file = download(root.resolve("partial"), data);
        BlobBatch batch = store.batch();
        batch.adopt(file, Optional.of(sha), data.length);

        StoreException e = assertThrows(StoreException.class, batch::commit);
        assertEquals(StoreException.Reason.UNAVAILABLE, e.reason());
        assertTrue(e.getMessage().contains("simulated disk error"), e.getMessage());
        assertFalse(store.exists(sha), "not named: its content is not known to be on disk");
        assertArrayEquals(data, Files.readAllBytes(file), "left where it was, to be adopted again");
        assertThrows(StoreException.class, batch::commit, "and a second commit does not pretend otherwise");
    }

    @Test
    void aBatchRefusesAWrongFileAtOnceAndLeavesItWhereItWas() throws Exception {
        FsBlobStore store = new FsBlobStore(root.resolve("blobs"));
        byte[] data = content(5_000, 42);
        Path file = download(root.resolve("partial"), data);
        BlobBatch batch = store.batch();
        Sha256 claimed = Sha256.digestOf(content(5_000, 43));
        StoreException e = assertThrows(StoreException.class, () -> batch.adopt(file, Optional.of(claimed), data.length));
        assertEquals(StoreException.Reason.DIGEST_MISMATCH, e.reason());
        StoreException limit = assertThrows(StoreException.class,
                () -> batch.adopt(file, Optional.of(Sha256.digestOf(data)), data.length - 1));
        assertEquals(StoreException.Reason.LIMIT, limit.reason());
        batch.commit();
        assertTrue(Files.exists(file));
        assertFalse(store.exists(claimed));
        assertFalse(store.exists(Sha256.digestOf(data)));
    }
}
