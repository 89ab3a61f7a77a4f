package io.patchfleet.kernel.linux.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SysFilesTest {

    /** procfs style: the first read hands out one byte, later reads the rest in small pieces. */
    static final class TrickleStream extends InputStream {
        private final ByteArrayInputStream in;
        private boolean first = true;

        TrickleStream(String text) {
            in = new ByteArrayInputStream(text.getBytes(StandardCharsets.US_ASCII));
        }

        @Override
        public int read() {
            return in.read();
        }

        @Override
        public int read(byte[] b, int off, int len) {
            int n = first ? 1 : Math.min(len, 2);
            first = false;
            return in.read(b, off, Math.min(n, len));
        }
    }

    @Test
    void aValueThatArrivesOneByteFirstIsReadWhole() throws IOException {
        byte[] read = SysFiles.readWhole(new TrickleStream("12289\n"), SysFiles.MAX_BYTES);
        assertEquals("12289\n", new String(read, StandardCharsets.US_ASCII));
    }

    @Test
    void anOverlongAttributeIsRefused() throws IOException {
        assertArrayEquals(new byte[8], SysFiles.readWhole(new ByteArrayInputStream(new byte[8]), 8));
        assertThrows(IOException.class, () -> SysFiles.readWhole(new ByteArrayInputStream(new byte[9]), 8));
    }

    @Test
    void missingFilesReadEmptyAndWritesNeverCreate(@TempDir Path dir) throws IOException {
        assertTrue(SysFiles.read(dir.resolve("nope")).isEmpty());
        assertThrows(java.nio.file.NoSuchFileException.class, () -> SysFiles.write(dir.resolve("nope"), "1"));
        Path enabled = Files.writeString(dir.resolve("enabled"), "1\n");
        SysFiles.write(enabled, "0");
        assertEquals("0", SysFiles.read(enabled).orElseThrow());
    }
}
