package io.patchfleet.store.jdbc.internal;

import io.patchfleet.store.api.StoreException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.zip.CRC32C;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The "last seen" of steady-state check-ins: an append-only journal beside the database, folded
 * into {@code machines.last_seen}/{@code uptime_ms} in the background.
 *
 * <p><b>Why not an UPDATE per check-in.</b> 95 % of a fleet's check-ins change nothing but the
 * time the machine was seen and its uptime. Measured on the benchmark machine, HSQLDB spends
 * 90–160 µs of CPU per single-row UPDATE (statement log, MVCC row version, index re-link), even
 * on a narrow table; at 10,000 check-ins/s that is a whole core.
 *
 * <p><b>Why a memory-mapped file.</b> A check-in thread writes its record straight into the
 * active segment, mapped into memory: a reserved slot range (one atomic add), a copy, a
 * checksum — no lock, no system call, no hand-off to another thread. The bytes are in the
 * kernel's page cache the moment they are written, so a {@code kill -9} or a crash of the
 * server's JVM loses no answered check-in: the next start replays them. A writer thread forces
 * the mapped pages to disk every {@code syncInterval} (default 100 ms), so a power loss or a
 * kernel crash loses at most the last interval's last-seen times — never a state change: full
 * reports go through {@link ReportWriter}'s group commit and are answered only after their
 * {@code fsync}. With {@code syncInterval} 0 the journal is strict: an append returns only after
 * a sync that began after its write (the group commit the journal had before 2026-11-26).
 * Measured before the change (bench/checkin.sh): waiting for the group commit cost each
 * steady-state check-in two thread switches, and the writer's {@code fsync} per batch was 10 %
 * of the server's CPU.
 *
 * <p><b>Folding.</b> The journal is a series of segments {@code seen-N.slots}. The writer seals
 * the active segment when it is older than the fold interval or full; a fold thread writes each
 * sealed segment's newest value per machine into the database (batches of {@link #FOLD_BATCH}
 * rows, an UPDATE that never moves {@code last_seen} backwards) and only then deletes the
 * segment. A machine checking in many times per interval costs the database one row update per
 * interval, not one per check-in. A crash mid-fold replays the segment and folds it again (the
 * update is idempotent).
 *
 * <p><b>Reading.</b> Until a value is folded, {@link #get} overlays it: the stores answer
 * {@code max(database, journal)} for a machine's last seen time, so readers never see a value
 * older than the last answered check-in.
 *
 * <p><b>Format</b> of a segment: {@value #SLOT}-byte slots; a record fills one or more whole
 * slots: {@code [byte 0xA5][byte slot count][short id length][id UTF-8][long seen, µs since the
 * epoch][long uptime ms] … [int CRC32C of everything before it]}, the checksum in the last four
 * bytes of its last slot. Replay reads record after record; a slot that does not start a valid
 * record (zeros of a slot reserved by a check-in the crash interrupted, or a torn record) is
 * skipped one slot at a time, so one torn record hides no later one. Segments of the earlier
 * batch format ({@code seen-N.journal}) are still replayed after an upgrade.
 */
final class SeenJournal implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SeenJournal.class);
    static final int FOLD_BATCH = 500;
    static final int SLOT = 64;
    private static final byte MAGIC = (byte) 0xA5;
    private static final String PREFIX = "seen-";
    private static final String SUFFIX = ".slots";
    private static final String LEGACY_SUFFIX = ".journal";
    /** Header (magic, slot count, id length), the two values, the checksum. */
    private static final int FIXED = 4 + 16 + 4;

    /** A machine's newest steady-state check-in. */
    record Seen(long atMicros, long uptimeMs) {
        Instant at() {
            return Instant.ofEpochSecond(Math.floorDiv(atMicros, 1_000_000L), Math.floorMod(atMicros, 1_000_000L) * 1000L);
        }

        static long micros(Instant t) {
            return Math.addExact(Math.multiplyExact(t.getEpochSecond(), 1_000_000L), t.getNano() / 1000L);
        }
    }

    /** Writes one batch of a segment's values into the database (durably, on return). */
    @FunctionalInterface
    interface Folder {
        void fold(List<Map.Entry<String, Seen>> batch) throws StoreException;
    }

    private record Segment(long seq, Path file, Map<String, Seen> values) {}

    /** The segment check-ins write to; memory only when {@code buffer} is null. */
    private static final class Active {
        final long seq;
        final Path file;
        final FileChannel channel;
        final MappedByteBuffer buffer;
        final long capacity;
        long openedNanos = System.nanoTime(); // writer thread only; restarted while the segment stays empty
        final Map<String, Seen> values = new ConcurrentHashMap<>();
        final AtomicLong reserved = new AtomicLong();
        final AtomicInteger writing = new AtomicInteger();
        volatile boolean sealed;
        long syncedReserved = -1; // writer thread only: reservations all written and forced; -1 unknown

        Active(long seq, Path file, FileChannel channel, MappedByteBuffer buffer, long capacity) {
            this.seq = seq;
            this.file = file;
            this.channel = channel;
            this.buffer = buffer;
            this.capacity = capacity;
        }

        boolean full() {
            return reserved.get() >= capacity;
        }
    }

    private final Path dir;
    private final Folder folder;
    private final long foldIntervalNanos;
    private final long segmentBytes;
    private final long syncIntervalNanos;
    private final CopyOnWriteArrayList<Segment> sealed = new CopyOnWriteArrayList<>();
    private final AtomicLong folded = new AtomicLong();
    private final AtomicLong foldEpoch = new AtomicLong();
    /** Syncs begun and syncs completed: a strict append waits for a sync begun after its write. */
    private final AtomicLong syncsStarted = new AtomicLong();
    private volatile long syncsDone;
    private volatile StoreException syncFailure;
    private final Thread writer;
    private final Thread foldThread;
    private final Object foldSignal = new Object();
    private final Object syncSignal = new Object();
    private volatile Active active;
    /**
     * The segment being sealed: no longer {@link #active}, not yet in {@link #sealed} (its file is
     * forced and closed in between, milliseconds). Set before {@link #active} moves on and cleared
     * after the segment joins {@link #sealed}, so a reader that reads {@code active}, then this,
     * then {@code sealed} always finds its values in one of them.
     */
    private volatile Active sealing;
    private volatile boolean closed;
    private volatile boolean foldRequested;
    private long lastFailureLog;

    /**
     * Opens the journal in {@code dir} (created if missing; {@code null}: memory only, for an
     * in-memory database), replays what an earlier run left and starts folding it.
     *
     * @param syncInterval how often the mapped segment is forced to disk; zero: every append
     *     waits for the sync that holds it
     */
    SeenJournal(Path dir, Folder folder, Duration foldInterval, long segmentBytes, Duration syncInterval) throws StoreException {
        this.dir = dir;
        this.folder = folder;
        this.foldIntervalNanos = foldInterval.toNanos();
        // Whole slots, and at least room for the longest record (a 128-character machine id).
        this.segmentBytes = Math.max(4L * SLOT, Math.min(segmentBytes, Integer.MAX_VALUE) / SLOT * SLOT);
        this.syncIntervalNanos = syncInterval.toNanos();
        long next = 1;
        if (dir != null) {
            try {
                Files.createDirectories(dir);
                for (Segment s : replay(dir)) {
                    sealed.add(s);
                    next = Math.max(next, s.seq() + 1);
                }
                active = open(next);
            } catch (IOException | UncheckedIOException e) {
                throw new StoreException(StoreException.Reason.UNAVAILABLE, "cannot open the last-seen journal in " + dir + ": " + e, e);
            }
            long replayed = sealed.stream().mapToLong(s -> s.values().size()).sum();
            if (replayed > 0) {
                LOG.info("Last-seen journal: replayed {} machine(s) from {} segment(s) of an earlier run; folding them into the database",
                        replayed, sealed.size());
            }
        } else {
            active = new Active(next, null, null, null, Long.MAX_VALUE);
        }
        writer = new Thread(this::writeLoop, "patchfleet-seen-journal");
        writer.setDaemon(true);
        foldThread = new Thread(this::foldLoop, "patchfleet-seen-fold");
        foldThread.setDaemon(true);
        foldThread.setPriority(Thread.MIN_PRIORITY);
        writer.start();
        foldThread.start();
    }

    SeenJournal(Path dir, Folder folder, Duration foldInterval, long segmentBytes) throws StoreException {
        this(dir, folder, foldInterval, segmentBytes, Duration.ofMillis(100));
    }

    private Active open(long seq) throws IOException {
        Path file = dir.resolve(PREFIX + seq + SUFFIX);
        FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
        try {
            // The file is as large as the mapping from the start (sparse: blocks are allocated as
            // slots are written); sealing truncates it to what was used.
            MappedByteBuffer buffer = channel.map(FileChannel.MapMode.READ_WRITE, 0, segmentBytes);
            return new Active(seq, file, channel, buffer, segmentBytes);
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    /**
     * Records that {@code machineId} checked in at {@code at} with this uptime. On return the
     * record survives a crash of this process; with a strict journal (sync interval 0) also a
     * power loss.
     */
    void append(String machineId, Instant at, long uptimeMs) throws StoreException {
        if (closed) {
            throw new StoreException(StoreException.Reason.UNAVAILABLE, "the machine store is closed");
        }
        Seen seen = new Seen(Seen.micros(at), uptimeMs);
        byte[] id = machineId.getBytes(StandardCharsets.UTF_8);
        int slots = slots(id);
        int length = slots * SLOT;
        long fullSince = 0;
        while (true) {
            if (closed) {
                throw new StoreException(StoreException.Reason.UNAVAILABLE, "the machine store is closed");
            }
            Active a = active;
            a.writing.incrementAndGet();
            try {
                if (a.sealed) {
                    continue; // the writer swapped segments meanwhile: take the new one
                }
                if (a.buffer == null) {
                    a.values.merge(machineId, seen, SeenJournal::newer);
                    return;
                }
                long at0 = a.reserved.getAndAdd(length);
                if (at0 + length > a.capacity) {
                    // Full: the writer seals it and opens the next segment, normally within microseconds.
                    LockSupport.unpark(writer);
                    long now = System.nanoTime();
                    if (fullSince == 0) {
                        fullSince = now;
                    } else if (now - fullSince > TimeUnit.SECONDS.toNanos(10)) {
                        throw new StoreException(StoreException.Reason.UNAVAILABLE,
                                "the last-seen journal cannot open a new segment in " + dir + " (see the server log)");
                    }
                    Thread.yield();
                    continue;
                }
                try {
                    write(a.buffer, (int) at0, slots, id, seen);
                } catch (InternalError e) {
                    // The JVM's answer to SIGBUS on a mapped page: the file system could not
                    // allocate the block (full, or quota). The slot stays torn (skipped at replay);
                    // the check-in fails as unavailable and the machine retries.
                    throw new StoreException(StoreException.Reason.UNAVAILABLE,
                            "the last-seen journal cannot write to " + a.file + " (file system full?)", e);
                }
                a.values.merge(machineId, seen, SeenJournal::newer);
            } finally {
                a.writing.decrementAndGet();
            }
            break;
        }
        if (syncIntervalNanos == 0) {
            awaitSync();
        }
    }

    private static void write(MappedByteBuffer buffer, int at, int slots, byte[] id, Seen seen) {
        buffer.put(at, record(slots, id, seen)); // an absolute bulk put: no shared position, safe beside other writers
    }

    /** One record in its slots, as {@link #read} expects it. */
    static byte[] record(int slots, byte[] id, Seen seen) {
        int length = slots * SLOT;
        byte[] record = new byte[length];
        ByteBuffer b = ByteBuffer.wrap(record);
        b.put(MAGIC).put((byte) slots).putShort((short) id.length).put(id).putLong(seen.atMicros()).putLong(seen.uptimeMs());
        CRC32C crc = new CRC32C();
        crc.update(record, 0, length - 4);
        b.putInt(length - 4, (int) crc.getValue());
        return record;
    }

    /** Slots a record of this machine id fills. */
    static int slots(byte[] id) {
        return (FIXED + id.length + SLOT - 1) / SLOT;
    }

    /** Waits for a sync that began after this thread's write (strict journal only). */
    private void awaitSync() throws StoreException {
        long after = syncsStarted.get();
        LockSupport.unpark(writer);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        synchronized (syncSignal) {
            while (syncsDone <= after) {
                StoreException failure = syncFailure;
                if (failure != null) {
                    throw failure;
                }
                long left = deadline - System.nanoTime();
                if (closed || left <= 0) {
                    throw new StoreException(StoreException.Reason.UNAVAILABLE, closed ? "the machine store is closed"
                            : "the last-seen journal was not synced within 30 s");
                }
                try {
                    syncSignal.wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new StoreException(StoreException.Reason.UNAVAILABLE, "interrupted waiting for the check-in's journal sync", e);
                }
            }
        }
    }

    /** The newest journaled check-in of a machine not yet folded into the database, or null. */
    Seen get(String machineId) {
        Seen best = active.values.get(machineId);
        Active between = sealing;
        if (between != null) {
            best = newer(best, between.values.get(machineId));
        }
        for (Segment s : sealed) {
            best = newer(best, s.values().get(machineId));
        }
        return best;
    }

    /** Whether any value waits to be folded (readers may then skip the overlay entirely). */
    boolean isEmpty() {
        Active between;
        return active.values.isEmpty() && ((between = sealing) == null || between.values.isEmpty()) && sealed.isEmpty();
    }

    /** A deregistered machine: its pending values are dropped (folding them would change nothing anyway). */
    void forget(String machineId) {
        active.values.remove(machineId);
        Active between = sealing;
        if (between != null) {
            between.values.remove(machineId);
        }
        for (Segment s : sealed) {
            s.values().remove(machineId);
        }
    }

    /**
     * Raised each time a folded segment leaves the journal. A reader that read the database and
     * then the journal, with the same epoch before and after, cannot have missed a value that
     * moved from one to the other in between (the fold commits before the segment leaves).
     */
    long foldEpoch() {
        return foldEpoch.get();
    }

    /** Rows folded into the database since start. */
    long foldedRows() {
        return folded.get();
    }

    /**
     * Seals the active segment and waits (bounded) until every sealed segment is folded: the
     * database then holds every acknowledged check-in. For tests and administrative use.
     */
    boolean foldNow(Duration timeout) {
        foldRequested = true;
        LockSupport.unpark(writer); // the writer seals at once
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!foldRequested && sealed.isEmpty() && active.values.isEmpty()) {
                return true;
            }
            synchronized (foldSignal) {
                foldSignal.notifyAll();
            }
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return false;
    }

    private static Seen newer(Seen a, Seen b) {
        if (a == null) {
            return b;
        }
        return b == null || a.atMicros() >= b.atMicros() ? a : b;
    }

    // --- writer: syncs and seals ------------------------------------------------------------

    private void writeLoop() {
        long idleNanos = syncIntervalNanos == 0 ? TimeUnit.MILLISECONDS.toNanos(100) : syncIntervalNanos;
        while (!closed) {
            LockSupport.parkNanos(this, idleNanos);
            try {
                Active a = active;
                sync(a);
                maybeSeal(a);
            } catch (IOException | RuntimeException | Error e) {
                failedSync(e);
            }
        }
        try {
            Active a = active;
            a.sealed = true;
            awaitWriters(a);
            sync(a);
            if (a.channel != null) {
                a.channel.truncate(Math.min(a.reserved.get(), a.capacity)); // no sparse tail left behind
            }
        } catch (IOException | RuntimeException e) {
            LOG.error("Last-seen journal: the final sync failed; the last check-ins' times may be lost on a power loss", e);
        }
    }

    /** Forces what was written to disk, and wakes strict appenders whose write it covers. */
    private void sync(Active a) {
        long started = syncsStarted.incrementAndGet();
        long reserved = a.reserved.get();
        // Every reservation counted in `reserved` was made by a thread that raised `writing`
        // first; if none is writing now, all of them are written, and a later sync that finds
        // the same mark has nothing new to force. An idle server then makes no msync (it would
        // otherwise ask the disk to flush its cache ten times a second).
        boolean allWritten = a.writing.get() == 0;
        if (a.buffer != null && reserved > 0 && reserved != a.syncedReserved) {
            a.buffer.force();
        }
        a.syncedReserved = allWritten ? reserved : -1;
        syncFailure = null;
        synchronized (syncSignal) {
            syncsDone = started;
            syncSignal.notifyAll();
        }
    }

    private void failedSync(Throwable e) {
        StoreException failure = new StoreException(StoreException.Reason.UNAVAILABLE,
                "the last-seen journal could not be synced: " + e.getMessage(), e);
        syncFailure = failure;
        synchronized (syncSignal) {
            syncSignal.notifyAll();
        }
        long now = System.nanoTime();
        if (now - lastFailureLog > TimeUnit.MINUTES.toNanos(1)) {
            lastFailureLog = now;
            LOG.error("Last-seen journal: syncing {} to disk failed; check-ins go on (the records are in the page cache), "
                    + "but a power loss may lose their times", active.file, e);
        }
    }

    private void maybeSeal(Active a) throws IOException {
        boolean due = foldRequested || a.full() || System.nanoTime() - a.openedNanos >= foldIntervalNanos;
        if (!due) {
            return;
        }
        if (!a.values.isEmpty() || a.full()) {
            Active next = dir == null ? new Active(a.seq + 1, null, null, null, Long.MAX_VALUE) : open(a.seq + 1);
            sealing = a; // readers find its values there until it joins 'sealed' below
            active = next;
            a.sealed = true;
            awaitWriters(a);
            if (a.buffer != null) {
                a.buffer.force();
                a.channel.truncate(Math.min(a.reserved.get(), a.capacity));
                a.channel.force(true);
                a.channel.close();
            }
            sealed.add(new Segment(a.seq, a.file, a.values));
            sealing = null;
        } else {
            a.openedNanos = System.nanoTime(); // nothing to fold yet: the interval starts again
        }
        foldRequested = false;
        synchronized (foldSignal) {
            foldSignal.notifyAll();
        }
    }

    /** Waits until no check-in writes into {@code a} any more (writes take microseconds). */
    private static void awaitWriters(Active a) {
        while (a.writing.get() != 0) {
            Thread.onSpinWait();
            Thread.yield();
        }
    }

    // --- folding ---------------------------------------------------------------------------

    private void foldLoop() {
        while (!closed) {
            Segment s = sealed.isEmpty() ? null : sealed.get(0);
            if (s == null) {
                synchronized (foldSignal) {
                    try {
                        foldSignal.wait(1000);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
                continue;
            }
            long t = System.nanoTime();
            try {
                List<Map.Entry<String, Seen>> batch = new ArrayList<>(FOLD_BATCH);
                for (Map.Entry<String, Seen> e : s.values().entrySet()) {
                    batch.add(Map.entry(e.getKey(), e.getValue()));
                    if (batch.size() == FOLD_BATCH) {
                        if (closed) {
                            return; // the segment stays; the next start replays and folds it
                        }
                        folder.fold(batch);
                        batch.clear();
                    }
                }
                if (!batch.isEmpty()) {
                    folder.fold(batch);
                }
                folded.addAndGet(s.values().size());
                // The file goes before the segment leaves 'sealed': whoever sees the fold done
                // (foldNow, a reader of the segment list) then also sees its file gone. Its values
                // are in the database already; readers keep the in-memory copy until the removal.
                if (s.file() != null) {
                    Files.deleteIfExists(s.file());
                }
                sealed.remove(s);
                foldEpoch.incrementAndGet();
                LOG.info("Folded {} machine(s) of last-seen segment {} into the database in {} ms", s.values().size(), s.seq(),
                        (System.nanoTime() - t) / 1_000_000);
            } catch (StoreException | IOException | RuntimeException e) {
                if (closed) {
                    return;
                }
                LOG.warn("Folding last-seen segment {} into the database failed ({}); retrying in 5 s", s.seq(), e.toString());
                synchronized (foldSignal) {
                    try {
                        foldSignal.wait(5000);
                    } catch (InterruptedException ie) {
                        return;
                    }
                }
            }
        }
    }

    private static List<Segment> replay(Path dir) throws IOException {
        TreeMap<Long, Path> files = new TreeMap<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, PREFIX + "*")) {
            for (Path p : ds) {
                String name = p.getFileName().toString();
                String suffix = name.endsWith(SUFFIX) ? SUFFIX : name.endsWith(LEGACY_SUFFIX) ? LEGACY_SUFFIX : null;
                try {
                    if (suffix == null) {
                        throw new NumberFormatException(name);
                    }
                    files.put(Long.parseLong(name.substring(PREFIX.length(), name.length() - suffix.length())), p);
                } catch (NumberFormatException e) {
                    LOG.warn("Ignoring {} in the last-seen journal: not a segment name", p);
                }
            }
        }
        List<Segment> out = new ArrayList<>();
        for (Map.Entry<Long, Path> f : files.entrySet()) {
            Path p = f.getValue();
            out.add(new Segment(f.getKey(), p, p.getFileName().toString().endsWith(LEGACY_SUFFIX) ? readBatches(p) : read(p)));
        }
        return out;
    }

    /**
     * The newest value per machine in a segment. Slots that start no valid record — zeros of a
     * slot reserved by a check-in that a crash interrupted, a torn record — are skipped.
     */
    static Map<String, Seen> read(Path file) throws IOException {
        Map<String, Seen> values = new ConcurrentHashMap<>();
        long size = Files.size(file);
        if (size == 0) {
            return values;
        }
        int skipped = 0;
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer all = ch.map(FileChannel.MapMode.READ_ONLY, 0, Math.min(size, Integer.MAX_VALUE));
            int at = 0;
            int limit = all.limit() / SLOT * SLOT;
            byte[] record = new byte[SLOT * 4];
            while (at < limit) {
                int slots = all.get(at) == MAGIC ? all.get(at + 1) & 0xff : 0;
                int length = slots * SLOT;
                if (slots >= 1 && slots <= 4 && at + length <= limit) {
                    all.get(at, record, 0, length);
                    ByteBuffer b = ByteBuffer.wrap(record, 0, length);
                    int idLength = b.getShort(2) & 0xffff;
                    CRC32C crc = new CRC32C();
                    crc.update(record, 0, length - 4);
                    if (FIXED + idLength <= length && (int) crc.getValue() == b.getInt(length - 4)) {
                        String id = new String(record, 4, idLength, StandardCharsets.UTF_8);
                        Seen seen = new Seen(b.getLong(4 + idLength), b.getLong(12 + idLength));
                        values.merge(id, seen, SeenJournal::newer);
                        at += length;
                        continue;
                    }
                }
                if (all.get(at) != 0) {
                    skipped++;
                }
                at += SLOT;
            }
        }
        if (skipped > 0) {
            LOG.warn("Last-seen journal {}: skipped {} torn slot(s) (check-ins a crash interrupted before they were answered)",
                    file, skipped);
        }
        return values;
    }

    /**
     * The newest value per machine in a segment of the batch format written before 2026-11-26
     * ({@code seen-N.journal}), up to its first incomplete or corrupt batch: read once at the
     * first start after an upgrade, then folded and deleted.
     */
    static Map<String, Seen> readBatches(Path file) throws IOException {
        Map<String, Seen> values = new ConcurrentHashMap<>();
        ByteBuffer all = ByteBuffer.wrap(Files.readAllBytes(file));
        while (all.remaining() >= 8) {
            int length = all.getInt();
            int crc = all.getInt();
            if (length <= 0 || length > all.remaining()) {
                LOG.warn("Last-seen journal {}: incomplete batch at byte {} (never acknowledged); replay stops there",
                        file, all.position() - 8);
                break;
            }
            CRC32C check = new CRC32C();
            check.update(all.array(), all.position(), length);
            if ((int) check.getValue() != crc) {
                LOG.warn("Last-seen journal {}: batch at byte {} fails its checksum (never acknowledged); replay stops there",
                        file, all.position() - 8);
                break;
            }
            ByteBuffer batch = all.slice(all.position(), length);
            all.position(all.position() + length);
            while (batch.hasRemaining()) {
                byte[] id = new byte[batch.getShort() & 0xffff];
                batch.get(id);
                Seen seen = new Seen(batch.getLong(), batch.getLong());
                values.merge(new String(id, StandardCharsets.UTF_8), seen, SeenJournal::newer);
            }
        }
        return values;
    }

    /**
     * Stops writing (later appends fail as unavailable) and folding, after a last sync; what was
     * not folded stays in its segment files and is replayed at the next start. The threads are
     * not interrupted while they write: an interrupt closes a file channel in the middle of an
     * fsync.
     */
    @Override
    public void close() {
        closed = true;
        LockSupport.unpark(writer);
        synchronized (foldSignal) {
            foldSignal.notifyAll();
        }
        synchronized (syncSignal) {
            syncSignal.notifyAll();
        }
        try {
            writer.join(TimeUnit.SECONDS.toMillis(10));
            foldThread.join(TimeUnit.SECONDS.toMillis(30));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        Active a = active;
        try {
            if (a.channel != null) {
                a.channel.close();
            }
        } catch (IOException e) {
            LOG.debug("Closing the last-seen journal: {}", e.toString());
        }
    }
}
