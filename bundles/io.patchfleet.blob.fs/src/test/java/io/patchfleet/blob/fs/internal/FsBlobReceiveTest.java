package io.patchfleet.blob.fs.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.patchfleet.model.Sha256;
import io.patchfleet.store.api.BlobBatch;
import io.patchfleet.store.api.BlobInfo;
import io.patchfleet.store.api.BlobReceiver;
import io.patchfleet.store.api.StoreException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@link BlobBatch#receive}: a blob written as it arrives, checked before it is named. */
class FsBlobReceiveTest {
    @TempDir
    Path root;

    @AfterEach
    void directAgain() {
        DirectFileWriter.resetDirect();
    }

    private static byte[] content(int size, long seed) {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        return b;
    }

    /** Writes {@code data[from, to)} in uneven pieces, as a socket delivers them. */
    private static void send(BlobReceiver r, byte[] data, int from, int to) throws StoreException {
        Random pieces = new Random(to);
        for (int at = from; at < to; ) {
            int n = Math.min(to - at, 1 + pieces.nextInt(70_000));
            r.write(data, at, n);
            at += n;
        }
    }

    private static byte[] read(FsBlobStore store, Sha256 sha) throws Exception {
        try (InputStream in = store.open(sha, 0)) {
            return in.readAllBytes();
        }
    }

    private static long filesUnder(Path dir) throws Exception {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile).count();
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 4095, 4096, 4097, 1 << 20, (1 << 20) + 1, 3 * (1 << 20) + 12_345})
    void aReceivedBlobIsStoredWhole(int size) throws Exception {
        FsBlobStore store = new FsBlobStore(root);
        byte[] data = content(size, size);
        Sha256 sha = Sha256.digestOf(data);
        BlobBatch batch = store.batch();

        try (BlobReceiver r = batch.receive(sha, size)) {
            assertEquals(0, r.position());
            send(r, data, 0, size);
            assertEquals(size, r.position());
            assertEquals(new BlobInfo(sha, size), r.complete());
        }
        batch.commit();

        assertArrayEquals(data, read(store, sha));
        assertEquals(Optional.of(new BlobInfo(sha, size)), store.stat(sha));
        assertEquals(0, filesUnder(root.resolve(FsBlobStore.RECEIVING)), "nothing left being received");
        assertEquals(0, filesUnder(root.resolve(FsBlobStore.TMP)));
    }

    @Test
    void tamperedBytesAreRefusedAndNothingIsStoredOrKept() throws Exception {
        FsBlobStore store = new FsBlobStore(root);
        byte[] data = content(2_500_000, 7);
        Sha256 sha = Sha256.digestOf(data);
        byte[] tampered = data.clone();
        tampered[1_234_567] ^= 1;
        BlobBatch batch = store.batch();

        try (BlobReceiver r = batch.receive(sha, data.length)) {
            send(r, tampered, 0, tampered.length);
            StoreException e = assertThrows(StoreException.class, r::complete);
            assertEquals(StoreException.Reason.DIGEST_MISMATCH, e.reason());
        }
        batch.commit();

        assertFalse(store.exists(sha));
        assertEquals(0, filesUnder(root.resolve(FsBlobStore.RECEIVING)), "wrong bytes are not kept for a resume");
        try (BlobReceiver r = store.batch().receive(sha, data.length)) {
            assertEquals(0, r.position(), "the next receive starts from the first byte");
        }
    }

    @Test
    void moreBytesThanTheBlobsLengthAreRefusedAtOnce() throws Exception {
        FsBlobStore store = new FsBlobStore(root);
        byte[] data = content(10_000, 8);
        Sha256 sha = Sha256.digestOf(data);
        try (BlobReceiver r = store.batch().receive(sha, 9_999)) {
            StoreException e = assertThrows(StoreException.class, () -> r.write(data, 0, data.length));
            assertEquals(StoreException.Reason.LIMIT, e.reason());
            assertThrows(IllegalStateException.class, r::complete, "the receive is over");
        }
        assertFalse(store.exists(sha));
        assertEquals(0, filesUnder(root.resolve(FsBlobStore.RECEIVING)));
    }

    @Test
    void fewerBytesThanTheBlobsLengthAreNotABlob() throws Exception {
        FsBlobStore store = new FsBlobStore(root);
        byte[] data = content(10_000, 9);
        Sha256 sha = Sha256.digestOf(data);
        BlobBatch batch = store.batch();
        try (BlobReceiver r = batch.receive(sha, data.length)) {
            send(r, data, 0, 9_000);
            StoreException e = assertThrows(StoreException.class, r::complete);
            assertEquals(StoreException.Reason.DIGEST_MISMATCH, e.reason());
        }
        batch.commit();
        assertFalse(store.exists(sha));
    }

    @Test
    void anInterruptedReceiveKeepsItsWholeBlocksAndTheNextOneContinuesAfterThem() throws Exception {
        byte[] data = content(3_000_000, 10);
        Sha256 sha = Sha256.digestOf(data);
        FsBlobStore store = new FsBlobStore(root);
        long kept;
        try (BlobReceiver r = store.batch().receive(sha, data.length)) {
            send(r, data, 0, 1_500_000); // then the connection drops
        }
        // A restarted server: the part survives the store's start.
        FsBlobStore again = new FsBlobStore(root);
        BlobBatch batch = again.batch();
        try (BlobReceiver r = batch.receive(sha, data.length)) {
            kept = r.position();
            assertTrue(kept > 1_000_000 && kept <= 1_500_000, "kept " + kept);
            send(r, data, (int) kept, data.length); // only the rest is fetched
            assertEquals(new BlobInfo(sha, data.length), r.complete());
        }
        batch.commit();
        assertArrayEquals(data, read(again, sha));
    }

    @Test
    void aBlobReceivedWholeByAProcessKilledBeforeItsCommitIsNotFetchedAgain() throws Exception {
        byte[] data = content(1_500_000, 17);
        Sha256 sha = Sha256.digestOf(data);
        FsBlobStore store = new FsBlobStore(root);
        try (BlobReceiver r = store.batch().receive(sha, data.length)) {
            send(r, data, 0, data.length);
            r.complete();
        } // ... and the process dies: the batch never commits
        assertFalse(store.exists(sha));

        FsBlobStore restarted = new FsBlobStore(root);
        BlobBatch batch = restarted.batch();
        try (BlobReceiver r = batch.receive(sha, data.length)) {
            assertEquals(data.length, r.position(), "all of it kept: nothing to fetch");
            assertEquals(new BlobInfo(sha, data.length), r.complete(), "checked again before it is named");
        }
        batch.commit();
        assertArrayEquals(data, read(restarted, sha));
        assertEquals(0, filesUnder(root.resolve(FsBlobStore.RECEIVING)));
    }

    @Test
    void aStagedBlobIsNotTakenByAnotherReceiveOfItBeforeItsCommit() throws Exception {
        byte[] data = content(1_100_000, 18);
        Sha256 sha = Sha256.digestOf(data);
        FsBlobStore store = new FsBlobStore(root);
        BlobBatch first = store.batch();
        try (BlobReceiver r = first.receive(sha, data.length)) {
            send(r, data, 0, data.length);
            r.complete();
        }
        BlobBatch second = store.batch();
        try (BlobReceiver r = second.receive(sha, data.length)) {
            assertEquals(0, r.position(), "the first batch's file is not this receive's kept part");
            send(r, data, 0, data.length);
            r.complete();
        }
        first.commit();
        second.commit();
        assertArrayEquals(data, read(store, sha));
        assertEquals(0, filesUnder(root.resolve(FsBlobStore.RECEIVING)));
    }

    @Test
    void aDamagedKeptPartFailsTheCheckAndARestartFetchesItWhole() throws Exception {
        byte[] data = content(2_200_000, 11);
        Sha256 sha = Sha256.digestOf(data);
        FsBlobStore store = new FsBlobStore(root);
        try (BlobReceiver r = store.batch().receive(sha, data.length)) {
            send(r, data, 0, 2_000_000);
        }
        // A power loss: the kept bytes were never forced, and came back as zeros.
        Path part = root.resolve(FsBlobStore.RECEIVING).resolve(sha.hex());
        byte[] onDisk = Files.readAllBytes(part);
        java.util.Arrays.fill(onDisk, 100_000, 200_000, (byte) 0);
        Files.write(part, onDisk);

        BlobBatch batch = store.batch();
        try (BlobReceiver r = batch.receive(sha, data.length)) {
            long kept = r.position();
            send(r, data, (int) kept, data.length);
            assertEquals(StoreException.Reason.DIGEST_MISMATCH, assertThrows(StoreException.class, r::complete).reason());
        }
        assertFalse(store.exists(sha));
        try (BlobReceiver r = batch.receive(sha, data.length)) {
            assertEquals(0, r.position(), "the damaged part is gone");
            send(r, data, 0, 777);
            r.restart(); // an upstream that ignored the range request: from the first byte again
            assertEquals(0, r.position());
            send(r, data, 0, data.length);
            r.complete();
        }
        batch.commit();
        assertArrayEquals(data, read(store, sha));
    }

    @Test
    void aReceivedBlobIsNamedOnlyAtTheCommitAndItsContentIsForcedFirst() throws Exception {
        java.util.List<String> events = new java.util.concurrent.CopyOnWriteArrayList<>();
        FsBlobStore store = new FsBlobStore(root, dir -> events.add("folder"), file -> events.add("content"));
        events.clear(); // the store's own start (its first-level folders)
        byte[] data = content(1_000_000, 12);
        Sha256 sha = Sha256.digestOf(data);
        BlobBatch batch = store.batch();
        try (BlobReceiver r = batch.receive(sha, data.length)) {
            send(r, data, 0, data.length);
            r.complete();
        }
        batch.commit();
        assertTrue(store.exists(sha));
        assertEquals("content", events.get(0), "content forced before any folder holding its name: " + events);
        assertArrayEquals(data, read(store, sha));
    }

    @Test
    void twoReceivesOfOneBlobAtOnceDoNotShareAFile() throws Exception {
        FsBlobStore store = new FsBlobStore(root);
        byte[] data = content(1_300_000, 13);
        Sha256 sha = Sha256.digestOf(data);
        BlobBatch batch = store.batch();
        try (BlobReceiver a = batch.receive(sha, data.length); BlobReceiver b = batch.receive(sha, data.length)) {
            send(a, data, 0, 600_000);
            send(b, data, 0, data.length);
            b.complete();
            send(a, data, 600_000, data.length);
            a.complete();
        }
        batch.commit();
        assertArrayEquals(data, read(store, sha));
        assertEquals(0, filesUnder(root.resolve(FsBlobStore.RECEIVING)));
    }

    @Test
    void throughThePageCacheWhereDirectWritesAreRefused() throws Exception {
        // A file system without O_DIRECT is simulated by a writer with no alignment (what the store
        // uses where its file store cannot tell): same bytes, same checks.
        Path file = root.resolve("f");
        byte[] data = content(2_000_123, 14);
        try (DirectFileWriter w = new DirectFileWriter(file, 0, 0)) {
            assertFalse(w.direct());
            w.write(data, 0, data.length);
            assertEquals(data.length, w.finish());
        }
        assertArrayEquals(data, Files.readAllBytes(file));
    }

    @Test
    void aDirectWriterCutsItsPaddingAndContinuesAKeptFile() throws Exception {
        Path file = root.resolve("g");
        byte[] data = content(5_000_001, 15);
        try (DirectFileWriter w = new DirectFileWriter(file, 0, 4096)) {
            w.write(data, 0, 3_000_000);
        } // closed without finishing: whole blocks kept
        long kept = Files.size(file);
        assertEquals(0, kept % 4096);
        assertTrue(kept > 2_000_000 && kept <= 3_000_000, "kept " + kept);
        try (DirectFileWriter w = new DirectFileWriter(file, kept, 4096)) {
            w.write(data, (int) kept, data.length - (int) kept);
            assertEquals(data.length, w.finish());
        }
        assertArrayEquals(data, Files.readAllBytes(file));
        try (DirectFileWriter w = new DirectFileWriter(file, 100, 4096)) {
            assertFalse(w.direct(), "an unaligned start goes through the page cache");
            w.write(data, 100, 50);
            assertEquals(150, w.finish());
        }
        assertArrayEquals(java.util.Arrays.copyOf(data, 150), Files.readAllBytes(file));
    }

    @Test
    void receivedPartsAreTemporaryInTheInventoryAndOldOnesAreDeletedAtStart() throws Exception {
        FsBlobStore store = new FsBlobStore(root);
        byte[] data = content(2_000_000, 16);
        Sha256 sha = Sha256.digestOf(data);
        try (BlobReceiver r = store.batch().receive(sha, data.length)) {
            send(r, data, 0, 1_500_000);
        }
        var inventory = store.inventory();
        assertEquals(0, inventory.blobs().size());
        assertTrue(inventory.strays().isEmpty(), "a part being received is no stray: " + inventory.strays());
        assertEquals(1, inventory.temporary().size());

        Path part = root.resolve(FsBlobStore.RECEIVING).resolve(sha.hex());
        Files.setLastModifiedTime(part, java.nio.file.attribute.FileTime.from(
                java.time.Instant.now().minus(FsBlobStore.RECEIVING_KEPT).minusSeconds(60)));
        new FsBlobStore(root);
        assertFalse(Files.exists(part), "a part no one came back for in a week is deleted");
    }
}
