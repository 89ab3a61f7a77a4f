package io.patchfleet.blob.fs.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes one file front to back in {@value #BUFFER}-byte blocks from an aligned buffer, with
 * {@code O_DIRECT} where the file system takes it: the bytes go from the buffer to the disk, not
 * through the page cache.
 *
 * <p>Why: a sync writes a gigabyte of modules that nobody reads until a machine asks for one.
 * Through the page cache, copying them into it was the largest single cost of the on-prem
 * server's sync (on the benchmark's virtual machine 2.5 s of CPU per GB, more than hashing them),
 * then the kernel wrote them back and the batch's commit waited for that; written directly in
 * 1 MiB blocks, the same gigabyte costs ~0.1 s of CPU (BENCHMARKS.md, sync), and the sync no
 * longer pushes the server's working set (its database, the metadata it serves) out of memory.
 *
 * <p>Direct writes need the buffer's address, the file offset and the length aligned to the
 * file system's block: every write here is a whole number of {@link #align} blocks, and the last,
 * short one is padded with zeros and the file truncated back to its length. Where the file system
 * refuses {@code O_DIRECT} (tmpfs on older kernels, some network and FUSE file systems), at open
 * or at the first write, the writer goes on through the page cache, and so does every writer
 * after it in this JVM (logged once). Durability is the caller's business either way: a direct
 * write may sit in the disk's cache, and the file's size is metadata; the blob store's commit
 * syncs both.
 *
 * <p>Not thread-safe; one writer per file.
 */
final class DirectFileWriter implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(DirectFileWriter.class);
    /** Bytes per write: one module of the benchmark's size per write; smaller writes cost more per byte (64 KiB: ~6x the CPU). */
    static final int BUFFER = 1 << 20;
    /** Buffers for writers that ended, reused: allocating 1 MiB of direct memory per module is slow and its release lazy. */
    private static final Queue<ByteBuffer> POOL = new ConcurrentLinkedQueue<>();
    private static final int POOL_MAX = 16;
    /** Cleared once a file system refused a direct open or write: every later writer goes through the page cache. */
    private static final AtomicBoolean DIRECT = new AtomicBoolean(true);
    private static final OpenOption DIRECT_OPTION = directOption();

    private final Path file;
    private final int align;
    private ByteBuffer buffer;
    private FileChannel channel;
    private boolean direct;
    /** Bytes of the file written (a whole number of blocks while writing directly). */
    private long written;

    /**
     * Opens {@code file} (created if missing) to continue at {@code start}; anything after it in
     * the file is cut off. Direct writes need {@code start} to be a multiple of {@code align}.
     *
     * @param align the file system's block size (a power of two, at most {@value #BUFFER}), or 0
     *     to write through the page cache
     */
    DirectFileWriter(Path file, long start, int align) throws IOException {
        if (align > 0 && (Integer.bitCount(align) != 1 || align > BUFFER)) {
            throw new IllegalArgumentException("block size " + align);
        }
        this.file = file;
        this.align = align;
        this.written = start;
        // An unaligned start (a whole file kept, its last block short) goes on through the page cache.
        this.direct = align > 0 && start % align == 0 && DIRECT_OPTION != null && DIRECT.get();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            if (ch.size() > start) {
                ch.truncate(start);
            }
        }
        this.channel = open();
        ByteBuffer b = POOL.poll();
        this.buffer = b != null ? b.clear() : ByteBuffer.allocateDirect(BUFFER + 4096).alignedSlice(4096).limit(BUFFER).slice();
    }

    /** The alignment of direct writes into {@code dir} (4096), or 0 where its file store cannot tell. */
    static int blockSize(Path dir) {
        try {
            // Direct I/O aligns to the device's logical block (512 or 4096 bytes); 4096 suits both.
            return java.nio.file.Files.getFileStore(dir).getBlockSize() > 0 ? 4096 : 0;
        } catch (IOException | UnsupportedOperationException e) {
            return 0;
        }
    }

    /** Whether this writer still writes past the page cache. */
    boolean direct() {
        return direct;
    }

    /** Bytes accepted so far, the file's length after {@link #finish}. */
    long position() {
        return written + buffer.position();
    }

    void write(byte[] bytes, int offset, int length) throws IOException {
        while (length > 0) {
            int n = Math.min(length, buffer.remaining());
            buffer.put(bytes, offset, n);
            offset += n;
            length -= n;
            if (!buffer.hasRemaining()) {
                flush(buffer.position());
            }
        }
    }

    /** Writes what is left (padded to a block, then cut back) and closes the file; returns its length. */
    long finish() throws IOException {
        long length = position();
        int n = buffer.position();
        if (n > 0) {
            if (direct) {
                int padded = (n + align - 1) & -align;
                while (buffer.position() < padded) {
                    buffer.put((byte) 0);
                }
                flush(padded);
                channel.truncate(length);
            } else {
                flush(n);
            }
        }
        written = length;
        close();
        return length;
    }

    /**
     * Writes the whole blocks still in the buffer (kept for a resume) and closes the file; the
     * rest of the buffer, less than a block, is dropped.
     */
    @Override
    public void close() {
        try {
            if (channel != null && buffer.position() > 0) {
                int whole = direct ? buffer.position() & -align : buffer.position();
                if (whole > 0) {
                    buffer.position(whole);
                    flush(whole);
                }
            }
        } catch (IOException e) {
            LOG.debug("Cannot keep the received part of {}: {}", file, e.getMessage());
        } finally {
            closeChannel();
            if (buffer != null) {
                if (POOL.size() < POOL_MAX) {
                    POOL.offer(buffer);
                }
                buffer = null;
            }
        }
    }

    /** Writes the first {@code n} bytes of the buffer at {@link #written} (n a whole number of blocks when direct). */
    private void flush(int n) throws IOException {
        buffer.flip().limit(n);
        long at = written;
        try {
            while (buffer.hasRemaining()) {
                at += channel.write(buffer, at);
            }
        } catch (IOException e) {
            if (!direct) {
                throw e;
            }
            // Refused past the page cache (EINVAL from a file system without O_DIRECT, or alignment it
            // does not take): the same bytes again through the page cache, and so from now on.
            if (DIRECT.compareAndSet(true, false)) {
                LOG.info("Writing blobs through the page cache: the file system of {} refused a direct write ({})", file,
                        e.getMessage());
            }
            direct = false;
            closeChannel();
            channel = open();
            buffer.position(0).limit(n);
            at = written;
            while (buffer.hasRemaining()) {
                at += channel.write(buffer, at);
            }
        }
        written = at;
        buffer.clear();
    }

    private FileChannel open() throws IOException {
        if (direct) {
            try {
                return FileChannel.open(file, StandardOpenOption.WRITE, DIRECT_OPTION);
            } catch (IOException | UnsupportedOperationException e) {
                if (DIRECT.compareAndSet(true, false)) {
                    LOG.info("Writing blobs through the page cache: the file system of {} cannot open files for direct "
                            + "writes ({})", file, e.getMessage());
                }
                direct = false;
            }
        }
        return FileChannel.open(file, StandardOpenOption.WRITE);
    }

    private void closeChannel() {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException e) {
                LOG.debug("Cannot close {}: {}", file, e.getMessage());
            }
            channel = null;
        }
    }

    /** {@code O_DIRECT} ({@code com.sun.nio.file.ExtendedOpenOption.DIRECT}, JDK 10+), or null where the JDK lacks it. */
    private static OpenOption directOption() {
        try {
            return com.sun.nio.file.ExtendedOpenOption.DIRECT;
        } catch (LinkageError e) {
            return null;
        }
    }

    /** Tests: whether a refusal switched this JVM to the page cache. */
    static boolean directEnabled() {
        return DIRECT.get();
    }

    /** Tests: writes go direct again where the file system takes it. */
    static void resetDirect() {
        DIRECT.set(true);
    }
}
