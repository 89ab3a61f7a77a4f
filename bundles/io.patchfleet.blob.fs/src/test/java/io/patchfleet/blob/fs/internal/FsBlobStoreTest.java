package io.patchfleet.blob.fs.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.patchfleet.model.Sha256;
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
}
