package io.patchfleet.client.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The client's preload (the launcher's Patchfleet-Preload) reads and never writes. */
class PreloadTest {
    @TempDir
    Path data;

    @Test
    void onAFreshDataDirectoryItCreatesNothing() {
        new Preload().accept(Map.of("patchfleet.data", data.toString()));
        new Preload().accept(Map.of()); // no data directory named: the wire types only
        assertEquals(List.of(data), list(data));
    }

    @Test
    void itReadsTheStateAndEnrollmentAndLeavesThemAsTheyWere() throws Exception {
        ClientFiles files = new ClientFiles(data.resolve("client"));
        files.save(AgentState.initial().withTrusted(Map.of("timestamp", 3L)));
        Files.writeString(files.enrollment, "{\"machineId\":\"0123456789abcdef0123456789abcdef\",\"server\":\"http://127.0.0.1:9\"}");
        FileTime old = FileTime.fromMillis(1_000_000_000_000L);
        Files.setLastModifiedTime(files.state, old);
        byte[] state = Files.readAllBytes(files.state);
        List<Path> before = list(data);

        new Preload().accept(Map.of("patchfleet.data", data.toString()));

        assertArrayEquals(state, Files.readAllBytes(files.state));
        assertEquals(old, Files.getLastModifiedTime(files.state));
        assertEquals(before, list(data));
    }

    @Test
    void aDamagedStateFileFailsThePreloadLoudlyAndIsLeftForTheDaemonToReport() throws Exception {
        ClientFiles files = new ClientFiles(data.resolve("client"));
        Files.writeString(files.state, "{not json");
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> new Preload().accept(Map.of("patchfleet.data", data.toString())));
        assertTrue(e.getMessage().startsWith("client preload: "), e.getMessage());
        assertEquals("{not json", Files.readString(files.state));
    }

    private static List<Path> list(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.sorted().toList();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
