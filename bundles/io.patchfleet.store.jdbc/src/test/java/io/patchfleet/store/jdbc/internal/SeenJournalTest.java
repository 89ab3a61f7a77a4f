package io.patchfleet.store.jdbc.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.patchfleet.store.api.StoreException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The memory-mapped last-seen journal on its own, with a folder that records what it is given:
 * concurrent appends across many segment rotations lose no value and never fold an older one
 * over a newer; what a closed (or crashed) journal leaves is replayed; a strict journal answers
 * after its sync; the batch format of earlier versions is still replayed after an upgrade.
 */
class SeenJournalTest {
    private static final Instant T0 = Instant.parse("2026-11-26T00:00:00Z");

    @TempDir
    Path dir;

    /** Keeps the newest folded value per machine, as the database's fold UPDATE does. */
    private static final class Folded implements SeenJournal.Folder {
        final Map<String, SeenJournal.Seen> rows = new ConcurrentHashMap<>();

        @Override
        public void fold(List<Map.Entry<String, SeenJournal.Seen>> batch) {
            batch.forEach(e -> rows.merge(e.getKey(), e.getValue(), (a, b) -> a.atMicros() >= b.atMicros() ? a : b));
        }
    }

    /**
     * What readers see for a machine: the journal's overlay, or the database once the fold thread
     * (which starts with the journal and folds replayed segments at once) has moved it there.
     */
    private static SeenJournal.Seen newest(SeenJournal journal, Folded db, String id) {
        SeenJournal.Seen overlay = journal.get(id);
        return overlay != null ? overlay : db.rows.get(id);
    }

    @Test
    @Timeout(120)
    void concurrentAppendsAcrossManyRotationsLoseNothing() throws Exception {
        Folded db = new Folded();
        int threads = 8;
        int perThread = 3000;
        int machines = 500;
        // 4 KB segments: 64 one-slot records each, so tens of rotations happen under the writers.
        try (SeenJournal journal = new SeenJournal(dir, db, Duration.ofHours(1), 4096, Duration.ofMillis(5))) {
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            CountDownLatch start = new CountDownLatch(1);
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int thread = t;
                done.add(pool.submit(() -> {
                    start.await();
                    for (int i = 0; i < perThread; i++) {
                        // Machine ids of 1 to 3 slots; each thread's times grow, threads interleave.
                        String id = "m" + ((thread * 7919 + i) % machines) + (i % 3 == 0 ? "-" + "x".repeat(60) : "");
                        journal.append(id, T0.plusMillis((long) i * threads + thread), i);
                    }
                    return null;
                }));
            }
            start.countDown();
            for (Future<?> f : done) {
                f.get(60, TimeUnit.SECONDS);
            }
            pool.shutdown();
            Map<String, SeenJournal.Seen> expected = new ConcurrentHashMap<>();
            for (int t = 0; t < threads; t++) {
                for (int i = 0; i < perThread; i++) {
                    String id = "m" + ((t * 7919 + i) % machines) + (i % 3 == 0 ? "-" + "x".repeat(60) : "");
                    SeenJournal.Seen s = new SeenJournal.Seen(SeenJournal.Seen.micros(T0.plusMillis((long) i * threads + t)), i);
                    expected.merge(id, s, (a, b) -> a.atMicros() >= b.atMicros() ? a : b);
                }
            }
            for (Map.Entry<String, SeenJournal.Seen> e : expected.entrySet()) {
                SeenJournal.Seen inMemory = journal.get(e.getKey());
                SeenJournal.Seen onDisk = db.rows.get(e.getKey());
                SeenJournal.Seen best = inMemory == null ? onDisk
                        : onDisk == null || inMemory.atMicros() >= onDisk.atMicros() ? inMemory : onDisk;
                assertEquals(e.getValue(), best, "newest value of " + e.getKey() + " (journal overlay or folded)");
            }
            assertTrue(db.rows.size() > 0, "full segments were sealed and folded while the writers ran");
            assertTrue(journal.foldNow(Duration.ofSeconds(30)));
            assertEquals(expected, db.rows, "after a fold everything is in the database");
        }
    }

    @Test
    @Timeout(60)
    void aValueIsReadableWhileItsSegmentIsBeingSealed() throws Exception {
        Folded db = new Folded();
        // Minimal segments: every few appends one is sealed (its file forced and closed, milliseconds)
        // while the reader below keeps asking for a machine written before.
        try (SeenJournal journal = new SeenJournal(dir, db, Duration.ofHours(1), 4 * SeenJournal.SLOT, Duration.ofMillis(5))) {
            journal.append("watched", T0, 1);
            java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
            Thread writer = new Thread(() -> {
                for (int i = 0; !stop.get(); i++) {
                    try {
                        journal.append("other-" + (i % 50), T0.plusMillis(i), i);
                    } catch (StoreException e) {
                        return;
                    }
                }
            });
            writer.start();
            try {
                long deadline = System.nanoTime() + Duration.ofSeconds(2).toNanos();
                long reads = 0;
                while (System.nanoTime() < deadline) {
                    // The overlay first, then the database: the fold writes the database before the
                    // segment leaves the journal, so one of the two always holds the value.
                    SeenJournal.Seen seen = newest(journal, db, "watched");
                    assertTrue(seen != null && seen.at().equals(T0), "read " + reads + " found " + seen);
                    reads++;
                }
                assertTrue(db.rows.containsKey("watched") || journal.get("watched") != null);
            } finally {
                stop.set(true);
                writer.join(10_000);
            }
        }
    }

    @Test
    @Timeout(60)
    void whatAClosedJournalLeftIsReplayedAndFolded() throws Exception {
        Folded first = new Folded();
        try (SeenJournal journal = new SeenJournal(dir, first, Duration.ofHours(1), 1 << 20, Duration.ofMillis(100))) {
            for (int i = 0; i < 100; i++) {
                journal.append("m" + i, T0.plusSeconds(i), i);
            }
            journal.append("m7", T0.plusSeconds(500), 5);
        }
        try (var files = Files.list(dir)) {
            Path segment = files.filter(p -> p.toString().endsWith(".slots")).findFirst().orElseThrow();
            assertEquals(101L * SeenJournal.SLOT, Files.size(segment), "truncated to the records at close, no sparse tail");
        }
        Folded second = new Folded();
        try (SeenJournal journal = new SeenJournal(dir, second, Duration.ofHours(1), 1 << 20, Duration.ofMillis(100))) {
            assertEquals(T0.plusSeconds(500), newest(journal, second, "m7").at(), "replayed: the newest of m7");
            assertTrue(journal.foldNow(Duration.ofSeconds(30)));
            assertEquals(100, second.rows.size());
            assertEquals(T0.plusSeconds(42), second.rows.get("m42").at());
        }
        try (var files = Files.list(dir)) {
            assertTrue(files.noneMatch(p -> p.toString().endsWith(".slots") && p.toFile().length() > 0),
                    "folded segments are deleted");
        }
    }

    @Test
    @Timeout(60)
    void aStrictJournalAnswersAfterItsSync() throws Exception {
        Folded db = new Folded();
        try (SeenJournal journal = new SeenJournal(dir, db, Duration.ofHours(1), 1 << 20, Duration.ZERO)) {
            long t = System.nanoTime();
            for (int i = 0; i < 20; i++) {
                journal.append("m" + i, T0.plusSeconds(i), i);
            }
            assertTrue(System.nanoTime() - t < TimeUnit.SECONDS.toNanos(30));
            assertEquals(T0.plusSeconds(19), journal.get("m19").at());
        }
        Folded again = new Folded();
        try (SeenJournal journal = new SeenJournal(dir, again, Duration.ofHours(1), 1 << 20, Duration.ZERO)) {
            assertEquals(T0.plusSeconds(19), newest(journal, again, "m19").at(), "replayed");
        }
    }

    @Test
    @Timeout(60)
    void appendsAfterCloseAreRefused() throws Exception {
        SeenJournal journal = new SeenJournal(dir, new Folded(), Duration.ofHours(1), 1 << 20, Duration.ofMillis(100));
        journal.append("m1", T0, 1);
        journal.close();
        assertThrows(StoreException.class, () -> journal.append("m2", T0, 1));
    }

    @Test
    @Timeout(60)
    void aSegmentOfTheEarlierBatchFormatIsReplayedAfterAnUpgrade() throws Exception {
        // [int payload length][int CRC32C][records: short id length, id, long µs, long uptime]
        ByteBuffer payload = ByteBuffer.allocate(256);
        for (String id : List.of("old-1", "old-2")) {
            byte[] b = id.getBytes(StandardCharsets.UTF_8);
            payload.putShort((short) b.length).put(b).putLong(SeenJournal.Seen.micros(T0.plusSeconds(30))).putLong(9);
        }
        int length = payload.position();
        CRC32C crc = new CRC32C();
        crc.update(payload.array(), 0, length);
        ByteBuffer file = ByteBuffer.allocate(8 + length).putInt(length).putInt((int) crc.getValue()).put(payload.array(), 0, length);
        Files.write(dir.resolve("seen-3.journal"), file.array());

        Folded db = new Folded();
        try (SeenJournal journal = new SeenJournal(dir, db, Duration.ofHours(1), 1 << 20, Duration.ofMillis(100))) {
            // The fold thread may already have folded the replayed segment: overlay or database.
            assertEquals(T0.plusSeconds(30), newest(journal, db, "old-2").at());
            journal.append("new-1", T0.plusSeconds(40), 1);
            assertTrue(journal.foldNow(Duration.ofSeconds(30)));
            assertEquals(3, db.rows.size());
            assertEquals(T0.plusSeconds(30), db.rows.get("old-1").at());
            assertEquals(9, db.rows.get("old-1").uptimeMs());
        }
        assertTrue(Files.notExists(dir.resolve("seen-3.journal")), "the old segment is folded and deleted");
        try (var files = Files.list(dir)) {
            List<String> names = files.map(p -> p.getFileName().toString()).toList();
            assertTrue(names.stream().allMatch(n -> n.endsWith(".slots") && Long.parseLong(n.substring(5, n.length() - 6)) > 3),
                    "new segments continue the numbering after the old ones: " + names);
        }
    }
}
