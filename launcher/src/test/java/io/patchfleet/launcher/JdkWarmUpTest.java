package io.patchfleet.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class JdkWarmUpTest {
    @Test
    void everyStepRunsOnLinuxAndNothingIsLeftOpen() throws Exception {
        JdkWarmUp w = new JdkWarmUp();
        long fds = openFiles();
        w.run();
        assertEquals(List.of("date format", "java.time", "security providers", "unix socket", "http", "loopback"), w.done());
        assertTrue(openFiles() <= fds, "the socket channel it opens is closed again");
    }

    @Test
    void itRunsOnADaemonThreadThatEnds() throws Exception {
        Thread t = JdkWarmUp.start();
        assertTrue(t.isDaemon(), "never keeps the JVM alive");
        assertEquals("patchfleet-jdk-warmup", t.getName());
        t.join(30_000);
        assertFalse(t.isAlive());
    }

    private static long openFiles() throws Exception {
        try (var s = java.nio.file.Files.list(java.nio.file.Path.of("/proc/self/fd"))) {
            return s.count();
        }
    }
}
