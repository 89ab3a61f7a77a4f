package io.patchfleet.blob.fs.internal;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Durability for a whole batch at once, where the platform offers it: start writing a file's
 * dirty pages to disk without waiting ({@code sync_file_range(SYNC_FILE_RANGE_WRITE)}), and make
 * everything written to a file system durable in one call ({@code syncfs}). A batch of 1,000
 * modules then costs two file-system syncs at its commit instead of 1,000 file and ~1,250 folder
 * fsyncs, each of which forced its own journal commit: on the benchmark's disk those held a 1 GB
 * sync to ~100-140 MB/s of writes with a third of the CPU idle (BENCHMARKS.md, sync).
 */
interface FileSystemSync {

    /**
     * Asks the kernel to start writing {@code file}'s dirty pages now, without waiting for the
     * disk: by the time the batch commits, most of its bytes are there. Best effort: a failure
     * only means the commit's sync writes them.
     */
    void startWriteback(Path file);

    /**
     * Makes everything written to the file system holding {@code anyPath} durable (data and
     * names), or fails.
     *
     * @throws IOException if the kernel reports a write error or the call fails
     */
    void syncFileSystem(Path anyPath) throws IOException;

    /** A description for the log. */
    String describe();

    /**
     * The platform's, if it has one this store can rely on: Linux 5.8 or later (before 5.8,
     * {@code syncfs} did not report write errors), with JNA's native part loadable.
     */
    static Optional<FileSystemSync> platform() {
        if (!"Linux".equals(System.getProperty("os.name")) || !atLeast(System.getProperty("os.version", ""), 5, 8)) {
            return Optional.empty();
        }
        try {
            return LinuxFileSystemSync.load();
        } catch (LinkageError e) {
            return Optional.empty(); // JNA not wired into this framework (an optional import)
        }
    }

    /** Whether a kernel release such as {@code 6.1.0-13-amd64} is at least {@code major.minor}. */
    static boolean atLeast(String release, int major, int minor) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("^(\\d+)\\.(\\d+)").matcher(release);
        if (!m.find()) {
            return false;
        }
        int ma = Integer.parseInt(m.group(1));
        int mi = Integer.parseInt(m.group(2));
        return ma > major || ma == major && mi >= minor;
    }
}
