package io.patchfleet.kernel.linux.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Optional;

/**
 * Reading and writing sysfs and procfs attributes. Reads always go to end of file: procfs may
 * hand out a value in pieces (a small first read of {@code /proc/sys/kernel/tainted} returns one
 * byte), so a single {@code read} is never taken as the whole value.
 */
public final class SysFiles {
    /** Largest attribute read; sysfs attributes are at most a page. */
    public static final int MAX_BYTES = 64 * 1024;

    private SysFiles() {}

    /** Reads {@code in} to its end, however the bytes arrive; at most {@code max} bytes. */
    public static byte[] readWhole(InputStream in, int max) throws IOException {
        byte[] buf = new byte[Math.min(max, 4096)];
        int n = 0;
        while (true) {
            if (n == buf.length) {
                if (buf.length >= max) {
                    if (in.read() < 0) {
                        return buf;
                    }
                    throw new IOException("attribute longer than " + max + " bytes");
                }
                buf = Arrays.copyOf(buf, Math.min(max, buf.length * 2));
            }
            int r = in.read(buf, n, buf.length - n);
            if (r < 0) {
                return Arrays.copyOf(buf, n);
            }
            n += r;
        }
    }

    /** The trimmed content of an attribute; empty if the file does not exist (now). */
    public static Optional<String> read(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return Optional.of(new String(readWhole(in, MAX_BYTES), StandardCharsets.UTF_8).trim());
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
    }

    /** Like {@link #read} but an unreadable file (permission) also gives empty. */
    public static Optional<String> readIfReadable(Path file) {
        try {
            return read(file);
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /**
     * Writes {@code value} and a newline in one {@code write}, as {@code echo value > file} does.
     * Never creates the file: a vanished attribute gives {@link NoSuchFileException}.
     */
    public static void write(Path file, String value) throws IOException {
        try (OutputStream out = Files.newOutputStream(file, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
            out.write((value + "\n").getBytes(StandardCharsets.US_ASCII));
        }
    }
}
