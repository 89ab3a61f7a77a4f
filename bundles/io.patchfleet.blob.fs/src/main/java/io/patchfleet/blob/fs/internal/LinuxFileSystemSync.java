package io.patchfleet.blob.fs.internal;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Native;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link FileSystemSync} through libc with JNA: {@code sync_file_range(2)} and {@code syncfs(2)}.
 * The only class of this bundle that touches JNA; loaded only by {@link FileSystemSync#platform},
 * so a store without JNA still works (per-file fsyncs).
 */
final class LinuxFileSystemSync implements FileSystemSync {
    private static final Logger LOG = LoggerFactory.getLogger(LinuxFileSystemSync.class);
    private static final int O_RDONLY = 0;
    private static final int O_CLOEXEC = 0x80000;
    private static final int SYNC_FILE_RANGE_WRITE = 2;

    /** libc functions used. */
    interface LibC extends Library {
        int open(String path, int flags) throws LastErrorException;

        int close(int fd) throws LastErrorException;

        int syncfs(int fd) throws LastErrorException;

        int sync_file_range(int fd, long offset, long nbytes, int flags) throws LastErrorException;
    }

    private final LibC c;

    private LinuxFileSystemSync(LibC c) {
        this.c = c;
    }

    static Optional<FileSystemSync> load() {
        try {
            return Optional.of(new LinuxFileSystemSync(Native.load("c", LibC.class)));
        } catch (LinkageError | RuntimeException e) {
            LOG.warn("JNA cannot load libc ({}): the blob store forces each file and folder on its own, which is slower "
                    + "for large syncs; check that the temporary directory is writable and not mounted noexec, or set "
                    + "jna.tmpdir", e.toString());
            return Optional.empty();
        }
    }

    @Override
    public void startWriteback(Path file) {
        int fd;
        try {
            fd = c.open(file.toString(), O_RDONLY | O_CLOEXEC);
        } catch (LastErrorException e) {
            LOG.debug("Cannot open {} to start its writeback: errno {}", file, e.getErrorCode());
            return;
        }
        try {
            c.sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE);
        } catch (LastErrorException e) {
            LOG.debug("sync_file_range of {} failed: errno {}; the commit's syncfs writes it", file, e.getErrorCode());
        } finally {
            closeQuietly(fd);
        }
    }

    @Override
    public void syncFileSystem(Path anyPath) throws IOException {
        int fd;
        try {
            fd = c.open(anyPath.toString(), O_RDONLY | O_CLOEXEC);
        } catch (LastErrorException e) {
            throw new IOException("cannot open " + anyPath + " to sync its file system: errno " + e.getErrorCode());
        }
        try {
            c.syncfs(fd);
        } catch (LastErrorException e) {
            throw new IOException("syncfs of the file system holding " + anyPath + " failed: errno " + e.getErrorCode()
                    + (e.getErrorCode() == 5 ? " (EIO: a write to the disk failed)" : ""));
        } finally {
            closeQuietly(fd);
        }
    }

    private void closeQuietly(int fd) {
        try {
            c.close(fd);
        } catch (LastErrorException ignored) {
            // a read-only descriptor: nothing was written through it
        }
    }

    @Override
    public String describe() {
        return "syncfs (Linux " + System.getProperty("os.version") + ")";
    }
}
