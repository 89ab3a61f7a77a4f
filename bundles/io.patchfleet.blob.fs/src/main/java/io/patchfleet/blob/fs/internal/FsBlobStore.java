package io.patchfleet.blob.fs.internal;

import io.patchfleet.model.Sha256;
import io.patchfleet.store.api.BlobBatch;
import io.patchfleet.store.api.BlobInfo;
import io.patchfleet.store.api.BlobInventory;
import io.patchfleet.store.api.BlobStore;
import io.patchfleet.store.api.StoreException;
import io.patchfleet.store.api.StoreException.Reason;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link BlobStore} as content-addressed files: {@code ROOT/ab/cd/abcd…} named by the SHA-256
 * of their content. Only {@link Sha256} values (64 lower-case hex characters, validated by the
 * type) become file names, so no caller input can reach a path outside the root.
 *
 * <p><b>Writing</b> streams into {@code ROOT/.tmp} (same filesystem, so the rename is atomic)
 * while hashing, stops beyond the length limit, checks the digest, forces the file to disk,
 * renames it into place with {@code ATOMIC_MOVE} and forces the directory, so after
 * {@code put} returns the blob survives {@code kill -9} and power loss, and at no moment is a
 * partial file visible under a digest name. Leftovers of interrupted writes stay in
 * {@code .tmp} and are deleted at start. Concurrent puts of the same content each write their own
 * temp file; the renames replace one identical file with another.
 *
 * <p><b>Adopting</b> a file (a finished download) reads it once for the digest and the length
 * cap, forces it and renames it into place: no second copy of the bytes. <b>Batches</b> do the
 * same but collect the folders whose entries changed and sync each once at commit; a folder a
 * batch created stays in {@link #unsynced} until then, so a single {@code put} into it meanwhile
 * syncs the parents too and keeps its own promise. A batch's {@code adopt} checks the file at
 * once and leaves the force and the rename to a pool of flusher threads ({@link #FLUSHERS}), which
 * the commit waits for: the content is still forced before its name exists, but the caller (a
 * sync's download thread) does not wait for the disk, and the fsyncs of many files overlap.
 *
 * <p><b>Receiving</b> ({@link BlobBatch#receive}) writes a download as it arrives into
 * {@code ROOT/.receiving/<sha256>} past the page cache ({@link DirectFileWriter}), hashing it on
 * the way; once checked whole it becomes {@code <sha256>.complete} and is staged like an adopted
 * file. Parts of interrupted receives, and whole ones a killed process never named, are kept there
 * for the next receive of the blob (deleted at start after {@link #RECEIVING_KEPT} untouched).
 *
 * <p>On Linux 5.8+ with JNA ({@link FileSystemSync}) a batch forces nothing per file: an adopted
 * file's writeback starts when it is adopted, and the commit syncs the file system once (all
 * content on disk), names the files, and syncs it once more (names and folders durable). The same
 * rule holds, content before name, for two syscalls instead of an fsync per file and folder.
 */
@Component(service = BlobStore.class, configurationPid = FsBlobStore.PID,
        configurationPolicy = ConfigurationPolicy.OPTIONAL)
@Designate(ocd = FsBlobStore.Config.class)
public final class FsBlobStore implements BlobStore {
    static final String PID = "io.patchfleet.blob.fs";
    static final String DATA_PROPERTY = "patchfleet.data";
    static final String TMP = ".tmp";
    /** Blobs being received ({@link BlobBatch#receive}), kept between runs for a resume. */
    static final String RECEIVING = ".receiving";
    /** Suffix of a received file checked whole and waiting in a batch for its name. */
    static final String COMPLETE = ".complete";
    /** Received parts untouched for this long are deleted at start: no one is coming back for them. */
    static final java.time.Duration RECEIVING_KEPT = java.time.Duration.ofDays(7);
    private static final Logger LOG = LoggerFactory.getLogger(FsBlobStore.class);
    private static final int BUFFER = 256 * 1024;
    /**
     * One read buffer per thread for checking adopted files: a sync adopts 1,000 modules, and a
     * fresh 256 KiB buffer for each was zeroed and collected again (the sync's profile,
     * BENCHMARKS.md). Used only within {@code checkFile}, which calls nothing that reads with it.
     */
    private static final ThreadLocal<ByteBuffer> READ_BUFFERS = ThreadLocal.withInitial(() -> ByteBuffer.allocate(BUFFER));
    /** How long a batch's commit waits for its files to reach the disk (a bound, not an expectation). */
    static final long COMMIT_WAIT_MINUTES = 30;

    @ObjectClassDefinition(name = "Patchfleet blob store", description = "Where patch modules and other blobs are kept")
    public @interface Config {
        @AttributeDefinition(name = "Directory", description = "Empty: DATA/blobs under the server's data directory")
        String directory() default "";
    }

    private final Path root;
    private final Path tmp;
    private final Path receiving;
    /** Alignment of direct writes into {@link #receiving}; 0: through the page cache. */
    private final int align;
    /** Blobs with a receiver open on their part file in {@link #receiving}. */
    private final Set<Sha256> receivingNow = ConcurrentHashMap.newKeySet();
    /** Received files checked and staged in a batch, not yet named ({@code .receiving/<sha256>.complete}). */
    private final Set<Path> receivedStaged = ConcurrentHashMap.newKeySet();
    /** Syncs a folder (fsync); a test counts the calls. */
    private final DirectorySync directorySync;
    /** Forces a file's content to disk; a test checks the order (content before name). */
    private final FileSync fileSync;
    /**
     * Forces and renames a batch's adopted files in the background, {@value #FLUSHERS} at a time:
     * the download that produced the next file need not wait for this one's fsync, and concurrent
     * fsyncs let the file system write them in fewer journal commits (BENCHMARKS.md, sync). Its
     * threads end when idle.
     */
    private final java.util.concurrent.ThreadPoolExecutor flusher;
    static final int FLUSHERS = 8;
    /** Folders a batch created whose own entry is not durable yet (its commit pending). */
    private final Set<Path> unsynced = ConcurrentHashMap.newKeySet();
    /**
     * Where the platform offers it ({@link FileSystemSync#platform}: Linux 5.8+ with JNA), a
     * batch's adopted files are not forced one by one: their writeback starts when they are
     * adopted, and the commit makes the whole file system durable once before the files get their
     * names and once after. Empty: every file and folder is forced on its own.
     */
    private final Optional<FileSystemSync> fileSystemSync;

    @Activate
    public FsBlobStore(BundleContext context, Config config) throws IOException {
        this(root(context, config));
        LOG.info("Blob store {}: batches made durable by {}", root, fileSystemSync.map(FileSystemSync::describe)
                .orElse("an fsync of each file and folder"));
    }

    /** A store rooted at {@code root}, created if missing; deletes leftover temporary files. */
    public FsBlobStore(Path root) throws IOException {
        this(root, FsBlobStore::force, FsBlobStore::forceFile, FileSystemSync.platform());
    }

    /** How a folder's entries are made durable. */
    @FunctionalInterface
    interface DirectorySync {
        void sync(Path dir) throws IOException;
    }

    FsBlobStore(Path root, DirectorySync directorySync) throws IOException {
        this(root, directorySync, FsBlobStore::forceFile);
    }

    FsBlobStore(Path root, DirectorySync directorySync, FileSync fileSync) throws IOException {
        this(root, directorySync, fileSync, Optional.empty());
    }

    /** How a file's content is forced to disk (fsync); a test checks when it happens. */
    @FunctionalInterface
    interface FileSync {
        void sync(Path file) throws IOException;
    }

    FsBlobStore(Path root, DirectorySync directorySync, FileSync fileSync, Optional<FileSystemSync> fileSystemSync)
            throws IOException {
        this.fileSystemSync = Objects.requireNonNull(fileSystemSync, "fileSystemSync");
        this.directorySync = directorySync;
        this.fileSync = fileSync;
        this.root = root.toAbsolutePath().normalize();
        this.tmp = this.root.resolve(TMP);
        this.receiving = this.root.resolve(RECEIVING);
        this.flusher = new java.util.concurrent.ThreadPoolExecutor(FLUSHERS, FLUSHERS, 5, java.util.concurrent.TimeUnit.SECONDS,
                new java.util.concurrent.LinkedBlockingQueue<>(), r -> {
                    Thread t = new Thread(r, "patchfleet-blob-flush");
                    t.setDaemon(true);
                    return t;
                });
        this.flusher.allowCoreThreadTimeOut(true);
        Files.createDirectories(tmp);
        int removed = 0;
        try (DirectoryStream<Path> leftovers = Files.newDirectoryStream(tmp)) {
            for (Path p : leftovers) {
                Files.deleteIfExists(p);
                removed++;
            }
        }
        if (removed > 0) {
            LOG.info("Removed {} unfinished blob uploads from {}", removed, tmp);
        }
        Files.createDirectories(receiving);
        this.align = DirectFileWriter.blockSize(receiving);
        java.nio.file.attribute.FileTime stale = java.nio.file.attribute.FileTime.from(
                java.time.Instant.now().minus(RECEIVING_KEPT));
        try (DirectoryStream<Path> parts = Files.newDirectoryStream(receiving)) {
            for (Path p : parts) {
                if (Files.getLastModifiedTime(p).compareTo(stale) < 0) {
                    Files.deleteIfExists(p);
                }
            }
        }
        // The 256 first-level folders exist from the start (one root sync here), so storing a blob
        // never changes the root: one folder sync fewer for most of the first blobs of a sync.
        boolean created = false;
        for (int i = 0; i < 256; i++) {
            Path top = this.root.resolve(String.format("%02x", i));
            if (!Files.isDirectory(top)) {
                Files.createDirectories(top);
                created = true;
            }
        }
        if (created) {
            fsyncDirectory(this.root);
        }
    }

    private static Path root(BundleContext context, Config config) {
        if (!config.directory().isBlank()) {
            return Path.of(config.directory());
        }
        String data = context.getProperty(DATA_PROPERTY);
        if (data == null || data.isBlank()) {
            throw new IllegalStateException("framework property " + DATA_PROPERTY + " is not set and no directory is "
                    + "configured in " + PID + "; start the server with 'patchfleet server'");
        }
        return Path.of(data).resolve("blobs");
    }

    /** Where a blob lives: {@code ROOT/ab/cd/<hex>}. */
    Path path(Sha256 sha256) {
        String hex = sha256.hex();
        return root.resolve(hex.substring(0, 2)).resolve(hex.substring(2, 4)).resolve(hex);
    }

    @Override
    public BlobInfo put(InputStream in, Optional<Sha256> expected, long maxLength) throws StoreException {
        return put(in, expected, maxLength, null);
    }

    @Override
    public BlobInfo adopt(Path file, Optional<Sha256> expected, long maxLength) throws StoreException {
        return adopt(file, expected, maxLength, null);
    }

    @Override
    public BlobBatch batch() {
        return new Batch();
    }

    /**
     * @param pending null: sync the changed folders now; else collect them there for the batch's
     *     commit
     */
    private BlobInfo put(InputStream in, Optional<Sha256> expected, long maxLength, Set<Path> pending) throws StoreException {
        Objects.requireNonNull(in, "in");
        Objects.requireNonNull(expected, "expected");
        if (maxLength < 0) {
            throw new IllegalArgumentException("maxLength must not be negative: " + maxLength);
        }
        Path temp = null;
        try {
            temp = Files.createTempFile(tmp, "put-", ".part");
            MessageDigest digest = Sha256.newDigest();
            long length = 0;
            try (FileChannel out = FileChannel.open(temp, StandardOpenOption.WRITE)) {
                byte[] buffer = new byte[BUFFER];
                int n;
                while ((n = readInput(in, buffer)) > 0) {
                    length += n;
                    if (length > maxLength) {
                        throw new StoreException(Reason.LIMIT, "blob larger than " + maxLength + " bytes");
                    }
                    digest.update(buffer, 0, n);
                    ByteBuffer bb = ByteBuffer.wrap(buffer, 0, n);
                    while (bb.hasRemaining()) {
                        out.write(bb);
                    }
                }
                out.force(true);
            }
            Sha256 actual = check(Sha256.ofDigest(digest.digest()), expected);
            if (place(temp, actual, pending)) {
                temp = null;
            }
            return new BlobInfo(actual, length);
        } catch (IOException e) {
            throw new StoreException(Reason.UNAVAILABLE, "cannot store blob: " + e.getMessage(), e);
        } finally {
            deleteQuietly(temp);
        }
    }

    /**
     * Reads the file once (digest, length cap), forces it to disk and renames it into place: the
     * same checks as {@link #put} without writing the bytes a second time (BENCHMARKS.md, sync).
     */
    private BlobInfo adopt(Path file, Optional<Sha256> expected, long maxLength, Set<Path> pending) throws StoreException {
        BlobInfo info = checkFile(file, expected, maxLength);
        return install(file, info, maxLength, pending);
    }

    /** Reads a file once: its digest (checked against {@code expected}) and length (capped). */
    private BlobInfo checkFile(Path file, Optional<Sha256> expected, long maxLength) throws StoreException {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(expected, "expected");
        if (maxLength < 0) {
            throw new IllegalArgumentException("maxLength must not be negative: " + maxLength);
        }
        MessageDigest digest = Sha256.newDigest();
        long length = 0;
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            if (ch.size() > maxLength) {
                throw new StoreException(Reason.LIMIT, "blob larger than " + maxLength + " bytes");
            }
            ByteBuffer buffer = READ_BUFFERS.get().clear();
            int n;
            while ((n = ch.read(buffer)) >= 0) {
                length += n;
                if (length > maxLength) {
                    throw new StoreException(Reason.LIMIT, "blob larger than " + maxLength + " bytes");
                }
                buffer.flip();
                digest.update(buffer);
                buffer.clear();
            }
        } catch (IOException e) {
            throw new StoreException(Reason.UNAVAILABLE, "cannot read blob file " + file + ": " + e.getMessage(), e);
        }
        return new BlobInfo(check(Sha256.ofDigest(digest.digest()), expected), length);
    }

    /** Forces a checked file to disk and renames it into place (or copies it, from another file system). */
    private BlobInfo install(Path file, BlobInfo info, long maxLength, Set<Path> pending) throws StoreException {
        try {
            // The content must be on disk before a digest name can point at it: after a power loss a
            // name with missing content would be taken for a stored blob and never fetched again.
            if (!Files.exists(path(info.sha256()))) {
                fileSync.sync(file);
            }
            return placeOrCopy(file, info, maxLength, pending);
        } catch (IOException e) {
            throw new StoreException(Reason.UNAVAILABLE, "cannot store blob from " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * Renames a checked file (content already durable) to its digest name; from another file system
     * than the store's (a configured blob directory elsewhere) it is copied like a put, then removed.
     */
    private BlobInfo placeOrCopy(Path file, BlobInfo info, long maxLength, Set<Path> pending) throws IOException, StoreException {
        try {
            place(file, info.sha256(), pending);
            return info;
        } catch (AtomicMoveNotSupportedException e) {
            BlobInfo copied;
            try (InputStream in = Files.newInputStream(file)) {
                copied = put(in, Optional.of(info.sha256()), maxLength, pending);
            }
            Files.deleteIfExists(file);
            return copied;
        }
    }

    private static void forceFile(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ch.force(true);
        }
    }

    private static Sha256 check(Sha256 actual, Optional<Sha256> expected) throws StoreException {
        if (expected.isPresent() && !expected.get().equals(actual)) {
            throw new StoreException(Reason.DIGEST_MISMATCH, "content has SHA-256 " + actual + ", expected " + expected.get());
        }
        return actual;
    }

    /**
     * Renames a complete, checked, forced file to its digest name and makes the name durable: now,
     * or (with {@code pending}) at the batch's commit.
     *
     * @return whether {@code file} was moved; {@code false}: the blob existed and {@code file} is deleted
     * @throws AtomicMoveNotSupportedException if {@code file} is on another file system
     */
    private boolean place(Path file, Sha256 actual, Set<Path> pending) throws IOException {
        Path target = path(actual);
        if (Files.exists(target)) {
            Files.deleteIfExists(file);
            return false;
        }
        Path dir = target.getParent();
        Path top = dir.getParent();
        boolean newDir = !Files.isDirectory(dir);
        boolean newTop = newDir && !Files.isDirectory(top);
        Files.createDirectories(dir);
        Files.move(file, target, StandardCopyOption.ATOMIC_MOVE);
        // Folders whose entries changed: the blob's folder, its parent if the folder is new, the root
        // if the first level is new (not at all since the 256 first-level folders exist from the start).
        if (pending != null) {
            pending.add(dir);
            if (newDir) {
                pending.add(top);
                unsynced.add(dir); // its own entry is not durable until the batch commits
            }
            if (newTop) {
                pending.add(root);
                unsynced.add(top);
            }
            return true;
        }
        fsyncDirectory(dir);
        if (newDir) {
            fsyncDirectory(top);
        }
        if (newTop) {
            fsyncDirectory(root);
        }
        // A folder a batch created and has not committed yet: its entry must be durable for this put too.
        for (Path d = dir; d != null && !d.equals(root) && unsynced.contains(d); d = d.getParent()) {
            fsyncDirectory(d.getParent());
        }
        return true;
    }

    private static void deleteQuietly(Path temp) {
        if (temp != null) {
            try {
                Files.deleteIfExists(temp);
            } catch (IOException e) {
                LOG.warn("Cannot delete temporary blob {}: {}", temp, e.getMessage());
            }
        }
    }

    /** Writes whose folder syncs wait for {@link #commit()}: one sync per distinct folder. */
    private final class Batch implements BlobBatch {
        private final Set<Path> pending = ConcurrentHashMap.newKeySet();

        @Override
        public BlobInfo put(InputStream in, Optional<Sha256> expected, long maxLength) throws StoreException {
            return FsBlobStore.this.put(in, expected, maxLength, pending);
        }

        /** Forces and renames of {@link #adopt} still running; their first failure, kept for every commit. */
        private final java.util.Queue<java.util.concurrent.Future<?>> staged = new java.util.concurrent.ConcurrentLinkedQueue<>();
        private volatile StoreException failed;

        /**
         * Checks the file now (digest, length: a wrong file is refused here, left where it is) and
         * forces and renames it in the background ({@link #flusher}); {@link #commit()} waits for
         * that. Until then the file stays at its path, not yet named in the store: after a
         * {@code kill -9} or a power loss it is there to be checked and adopted again, never a
         * digest name with content that did not reach the disk.
         */
        @Override
        public BlobInfo adopt(Path file, Optional<Sha256> expected, long maxLength) throws StoreException {
            BlobInfo info = checkFile(file, expected, maxLength);
            stage(file, info, maxLength);
            return info;
        }

        @Override
        public io.patchfleet.store.api.BlobReceiver receive(Sha256 expected, long length) throws StoreException {
            return new Receiver(this, Objects.requireNonNull(expected, "expected"), length);
        }

        /** A checked file, named at the commit (or forced and named by the flusher meanwhile). */
        void stage(Path file, BlobInfo info, long maxLength) {
            if (fileSystemSync.isPresent()) {
                // Its bytes start for the disk now; the commit's first file-system sync waits for them.
                fileSystemSync.get().startWriteback(file);
                adopted.add(new Adopted(file, info, maxLength));
                return;
            }
            staged.add(flusher.submit(() -> {
                try {
                    install(file, info, maxLength, pending);
                    receivedStaged.remove(file);
                } catch (StoreException | RuntimeException e) {
                    StoreException se = e instanceof StoreException s ? s
                            : new StoreException(Reason.UNAVAILABLE, "cannot store blob from " + file + ": " + e, e);
                    if (failed == null) {
                        failed = se;
                    }
                    throw se;
                }
                return null;
            }));
        }

        @Override
        public void keep(Sha256 sha256) throws StoreException {
            Path file = path(Objects.requireNonNull(sha256, "sha256"));
            if (!Files.isRegularFile(file)) {
                throw new StoreException(Reason.NOT_FOUND, "no blob " + sha256);
            }
            pending.add(file.getParent());
            pending.add(file.getParent().getParent());
        }

        /** Files adopted with a {@link FileSystemSync}: checked, not named yet (the commit does that). */
        private final java.util.Queue<Adopted> adopted = new java.util.concurrent.ConcurrentLinkedQueue<>();

        @Override
        public void commit() throws StoreException {
            if (fileSystemSync.isPresent()) {
                commitBySyncfs(fileSystemSync.get());
                return;
            }
            // First every adopted file forced and named (their folders join the pending set as they are).
            for (java.util.concurrent.Future<?> f; (f = staged.peek()) != null; staged.remove(f)) {
                try {
                    f.get(COMMIT_WAIT_MINUTES, java.util.concurrent.TimeUnit.MINUTES);
                } catch (java.util.concurrent.ExecutionException e) {
                    // reported below through 'failed'
                } catch (java.util.concurrent.TimeoutException e) {
                    throw new StoreException(Reason.UNAVAILABLE, "blob files not forced to disk within " + COMMIT_WAIT_MINUTES
                            + " minutes", e);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new StoreException(Reason.UNAVAILABLE, "interrupted while forcing blob files to disk", e);
                }
            }
            if (failed != null) {
                throw failed;
            }
            // Order does not matter: each sync makes the entries in that folder durable, and every
            // folder created by the batch is in the set with its parent. A sync of 1,000 modules names
            // them in ~1,250 folders (two levels of digest prefixes): synced on the flusher threads at
            // once, so the file system commits them in a few journal transactions instead of one
            // after the other (BENCHMARKS.md, sync: the tail after the last download).
            List<Path> dirs = new ArrayList<>(pending);
            List<java.util.concurrent.Future<?>> syncs = new ArrayList<>(dirs.size());
            for (Path dir : dirs) {
                syncs.add(flusher.submit(() -> {
                    try {
                        directorySync.sync(dir);
                    } catch (NoSuchFileException e) {
                        // emptied and removed since (a deleted blob): nothing left to make durable there
                    }
                    return null;
                }));
            }
            for (int i = 0; i < syncs.size(); i++) {
                try {
                    syncs.get(i).get(COMMIT_WAIT_MINUTES, java.util.concurrent.TimeUnit.MINUTES);
                } catch (java.util.concurrent.ExecutionException e) {
                    syncs.forEach(f -> f.cancel(false));
                    throw new StoreException(Reason.UNAVAILABLE, "cannot sync blob folder " + dirs.get(i) + ": "
                            + e.getCause().getMessage(), e.getCause());
                } catch (java.util.concurrent.TimeoutException e) {
                    syncs.forEach(f -> f.cancel(false));
                    throw new StoreException(Reason.UNAVAILABLE, "blob folders not synced within " + COMMIT_WAIT_MINUTES
                            + " minutes", e);
                } catch (InterruptedException e) {
                    syncs.forEach(f -> f.cancel(false));
                    Thread.currentThread().interrupt();
                    throw new StoreException(Reason.UNAVAILABLE, "interrupted while syncing blob folders", e);
                }
            }
            pending.removeAll(dirs);
            Set<Path> synced = Set.copyOf(dirs);
            unsynced.removeIf(d -> synced.contains(d.getParent())); // their entries are durable now
        }

        /**
         * The commit with a {@link FileSystemSync}: (1) one sync of the file system, so the content
         * of every adopted file is on disk (their writeback started when they were adopted); (2) the
         * files renamed to their digest names; (3) one more sync, so the names and new folders are
         * durable too. Content still reaches the disk before any name points at it. After a failure
         * the files not yet named stay where they were, to be adopted again by the next run.
         */
        private void commitBySyncfs(FileSystemSync fs) throws StoreException {
            if (adopted.isEmpty() && pending.isEmpty()) {
                return;
            }
            try {
                fs.syncFileSystem(root);
            } catch (IOException e) {
                throw new StoreException(Reason.UNAVAILABLE, "cannot make the batch's blob files durable: " + e.getMessage(), e);
            }
            for (Adopted a; (a = adopted.peek()) != null; adopted.remove()) {
                try {
                    placeOrCopy(a.file(), a.info(), a.maxLength(), pending);
                    receivedStaged.remove(a.file());
                } catch (IOException e) {
                    throw new StoreException(Reason.UNAVAILABLE, "cannot store blob from " + a.file() + ": " + e.getMessage(), e);
                }
            }
            try {
                fs.syncFileSystem(root);
            } catch (IOException e) {
                throw new StoreException(Reason.UNAVAILABLE, "cannot make the batch's blob names durable: " + e.getMessage(), e);
            }
            List<Path> dirs = new ArrayList<>(pending);
            pending.removeAll(dirs);
            dirs.forEach(unsynced::remove); // every folder the batch created is durable now, with its entries
        }
    }

    /**
     * A blob written as it arrives: into {@code ROOT/.receiving/<sha256>} through a
     * {@link DirectFileWriter} (past the page cache where the file system allows), hashed on the
     * way, checked at {@link #complete()} and then staged in its batch like an adopted file (moved
     * to {@code .tmp} first, so a later receive of the same blob cannot touch it). Closed without
     * completing, its whole blocks stay for the next receive of the blob, which hashes them again
     * (they were never forced to disk: a power loss may have damaged them, and {@code complete}
     * would find that) and continues after them. Two receives of one blob at once: the second
     * writes a file of its own and keeps nothing.
     */
    private final class Receiver implements io.patchfleet.store.api.BlobReceiver {
        private final Batch batch;
        private final Sha256 expected;
        private final long length;
        private final boolean resumable;
        private final Path file;
        private final MessageDigest digest = Sha256.newDigest();
        private DirectFileWriter writer;
        private boolean done;

        Receiver(Batch batch, Sha256 expected, long length) throws StoreException {
            if (length < 0) {
                throw new IllegalArgumentException("length must not be negative: " + length);
            }
            this.batch = batch;
            this.expected = expected;
            this.length = length;
            this.resumable = receivingNow.add(expected);
            this.file = resumable ? receiving.resolve(expected.hex())
                    : receiving.resolve(expected.hex() + "." + java.util.UUID.randomUUID() + ".part");
            try {
                Path whole = receiving.resolve(expected.hex() + COMPLETE);
                if (resumable && !Files.exists(file) && Files.isRegularFile(whole) && !receivedStaged.contains(whole)) {
                    // Received whole by a run killed before its batch committed: the kept part is all of it
                    // (hashed again below; it was never forced to disk).
                    Files.move(whole, file, StandardCopyOption.ATOMIC_MOVE);
                }
                long kept = resumable && Files.isRegularFile(file) ? Files.size(file) : 0;
                if (align > 0 && kept != length) {
                    kept -= kept % align; // direct writes continue at a whole block (a whole blob needs none)
                }
                if (kept > length) {
                    kept = 0;
                }
                if (kept > 0) {
                    hashPrefix(kept);
                }
                writer = new DirectFileWriter(file, kept, align);
            } catch (IOException | RuntimeException e) {
                release();
                throw new StoreException(Reason.UNAVAILABLE, "cannot receive blob " + expected + " into " + file + ": "
                        + e.getMessage(), e);
            }
        }

        private void hashPrefix(long kept) throws IOException {
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
                ByteBuffer buffer = READ_BUFFERS.get().clear();
                long left = kept;
                while (left > 0) {
                    buffer.clear().limit((int) Math.min(buffer.capacity(), left));
                    int n = ch.read(buffer);
                    if (n < 0) {
                        throw new IOException("the kept part of " + file + " ended early");
                    }
                    buffer.flip();
                    digest.update(buffer);
                    left -= n;
                }
            }
        }

        @Override
        public long position() {
            return writer.position();
        }

        @Override
        public void write(byte[] bytes, int offset, int count) throws StoreException {
            Objects.checkFromIndexSize(offset, count, bytes.length);
            open();
            if (writer.position() + count > length) {
                drop();
                throw new StoreException(Reason.LIMIT, "more than the " + length + " bytes of blob " + expected);
            }
            digest.update(bytes, offset, count);
            try {
                writer.write(bytes, offset, count);
            } catch (IOException e) {
                throw cannotWrite(e);
            }
        }

        @Override
        public void restart() throws StoreException {
            open();
            writer.close();
            digest.reset();
            try {
                writer = new DirectFileWriter(file, 0, align);
            } catch (IOException e) {
                throw cannotWrite(e);
            }
        }

        @Override
        public BlobInfo complete() throws StoreException {
            open();
            long received = writer.position();
            if (received != length) {
                drop();
                throw new StoreException(Reason.DIGEST_MISMATCH, "received " + received + " bytes of blob " + expected
                        + ", expected " + length);
            }
            try {
                writer.finish();
            } catch (IOException e) {
                throw cannotWrite(e);
            }
            Sha256 actual = Sha256.ofDigest(digest.digest());
            if (!actual.equals(expected)) {
                drop();
                throw new StoreException(Reason.DIGEST_MISMATCH, "received content has SHA-256 " + actual + ", expected "
                        + expected);
            }
            // Out of the way of later receives of the blob, under a name no other receive picks (renamed,
            // not created: each file created costs an inode allocation, the largest cost left per
            // module, BENCHMARKS.md); kept if the process dies before the commit, for the next receive.
            Path staged = receiving.resolve(expected.hex() + COMPLETE);
            if (!receivedStaged.add(staged)) {
                staged = receiving.resolve(expected.hex() + "." + java.util.UUID.randomUUID() + COMPLETE);
                receivedStaged.add(staged);
            }
            try {
                Files.move(file, staged, StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException e) {
                receivedStaged.remove(staged);
                drop();
                throw new StoreException(Reason.UNAVAILABLE, "cannot store received blob " + expected + ": " + e.getMessage(), e);
            }
            done = true;
            release();
            BlobInfo info = new BlobInfo(expected, length);
            batch.stage(staged, info, length);
            return info;
        }

        @Override
        public void close() {
            if (done) {
                return;
            }
            done = true;
            writer.close(); // keeps the whole blocks received so far
            if (!resumable) {
                deleteQuietly(file);
            }
            release();
        }

        private void open() {
            if (done) {
                throw new IllegalStateException("the receive of blob " + expected + " has ended");
            }
        }

        private StoreException cannotWrite(IOException e) {
            return new StoreException(Reason.UNAVAILABLE, "cannot write blob " + expected + " to " + file + ": "
                    + e.getMessage(), e);
        }

        /** Drops what was received (wrong bytes): the receive is over. */
        private void drop() {
            done = true;
            writer.close();
            deleteQuietly(file);
            release();
        }

        private void release() {
            if (resumable) {
                receivingNow.remove(expected);
            }
        }
    }

    /** A batch's adopted file waiting for its commit. */
    private record Adopted(Path file, BlobInfo info, long maxLength) {}

    private static int readInput(InputStream in, byte[] buffer) throws IOException {
        return in.readNBytes(buffer, 0, buffer.length);
    }

    /** Makes a rename durable; some platforms cannot open directories, where the rename is durable already. */
    private void fsyncDirectory(Path dir) {
        try {
            directorySync.sync(dir);
        } catch (IOException e) {
            LOG.debug("Cannot fsync directory {}: {}", dir, e.getMessage());
        }
    }

    private static void force(Path dir) throws IOException {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        }
    }

    @Override
    public InputStream open(Sha256 sha256, long offset) throws StoreException {
        Objects.requireNonNull(sha256, "sha256");
        if (offset < 0) {
            throw new IllegalArgumentException("offset must not be negative: " + offset);
        }
        FileChannel ch;
        try {
            ch = FileChannel.open(path(sha256), StandardOpenOption.READ);
        } catch (NoSuchFileException e) {
            throw new StoreException(Reason.NOT_FOUND, "no blob " + sha256);
        } catch (IOException e) {
            throw new StoreException(Reason.UNAVAILABLE, "cannot open blob " + sha256 + ": " + e.getMessage(), e);
        }
        try {
            long size = ch.size();
            if (offset > size) {
                ch.close();
                throw new IllegalArgumentException("offset " + offset + " beyond blob length " + size);
            }
            ch.position(offset);
            return Channels.newInputStream(ch);
        } catch (IOException e) {
            try {
                ch.close();
            } catch (IOException ignored) {
                // reported below
            }
            throw new StoreException(Reason.UNAVAILABLE, "cannot read blob " + sha256 + ": " + e.getMessage(), e);
        }
    }

    @Override
    public Optional<BlobInfo> stat(Sha256 sha256) throws StoreException {
        Objects.requireNonNull(sha256, "sha256");
        try {
            return Optional.of(new BlobInfo(sha256, Files.size(path(sha256))));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new StoreException(Reason.UNAVAILABLE, "cannot stat blob " + sha256 + ": " + e.getMessage(), e);
        }
    }

    @Override
    public boolean exists(Sha256 sha256) throws StoreException {
        Objects.requireNonNull(sha256, "sha256");
        return Files.isRegularFile(path(sha256));
    }

    @Override
    public boolean delete(Sha256 sha256) throws StoreException {
        Objects.requireNonNull(sha256, "sha256");
        try {
            boolean deleted = Files.deleteIfExists(path(sha256));
            if (deleted) {
                fsyncDirectory(path(sha256).getParent());
            }
            return deleted;
        } catch (IOException e) {
            throw new StoreException(Reason.UNAVAILABLE, "cannot delete blob " + sha256 + ": " + e.getMessage(), e);
        }
    }

    @Override
    public BlobInventory inventory() throws StoreException {
        java.util.List<BlobInfo> found = new java.util.ArrayList<>();
        java.util.List<String> strays = new java.util.ArrayList<>();
        java.util.List<String> temporary = new java.util.ArrayList<>();
        try (java.util.stream.Stream<Path> files = Files.walk(root)) {
            for (Path p : (Iterable<Path>) files.filter(Files::isRegularFile)::iterator) {
                String relative = root.relativize(p).toString();
                if (p.getParent().equals(tmp) || p.getParent().equals(receiving)) {
                    temporary.add(relative);
                    continue;
                }
                Sha256 sha;
                try {
                    sha = Sha256.of(p.getFileName().toString());
                } catch (IllegalArgumentException e) {
                    strays.add(relative);
                    continue;
                }
                if (!path(sha).equals(p)) {
                    strays.add(relative); // a digest name in the wrong folder: never found by open()
                    continue;
                }
                found.add(new BlobInfo(sha, Files.size(p)));
            }
        } catch (IOException | java.io.UncheckedIOException e) {
            throw new StoreException(Reason.UNAVAILABLE, "cannot list the blob store " + root + ": " + e.getMessage(), e);
        }
        return new BlobInventory(found, strays, temporary);
    }
}
