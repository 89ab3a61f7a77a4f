package io.patchfleet.it.chain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * {@code kill -9} of an on-prem server in the middle of a sync, its restart, the resumed sync and
 * the store's integrity check; then expired upstream metadata refused and reported. Real server
 * processes: {@code kill-test.sh} (beside this module's pom) asserts each step, prints one
 * {@code PASS:} line per assertion and ends with {@code N passed, 0 failed}.
 */
class KillDuringSyncTest {
    private static final Duration HARD_TIMEOUT = Duration.ofMinutes(15);

    @Test
    void aSyncKilledMidwayResumesServesNoPartialPatchAndThenRefusesExpiredMetadata() throws Exception {
        Path work = Path.of("target", "kill").toAbsolutePath();
        Path log = Path.of("target", "kill-test.log").toAbsolutePath();
        ProcessBuilder pb = new ProcessBuilder(Path.of("kill-test.sh").toAbsolutePath().toString(), work.toString())
                .redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().putIfAbsent("CHAIN_TIMEOUT", "180");
        Process p = pb.start();
        if (!p.waitFor(HARD_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            p.waitFor(30, TimeUnit.SECONDS);
        }
        String out = Files.readString(log, StandardCharsets.UTF_8);
        List<String> passes = out.lines().filter(l -> l.startsWith("PASS: ")).toList();
        System.out.println(String.join("\n", passes));
        assertEquals(0, p.isAlive() ? -1 : p.exitValue(), "kill-test.sh failed; its output (logs in " + work + "):\n" + out);
        String last = out.lines().reduce("", (a, b) -> b);
        assertTrue(last.matches("\\d+ passed, 0 failed"), "last line: " + last + "\n" + out);
        assertEquals(Integer.parseInt(last.split(" ")[0]), passes.size(), "one PASS line per counted assertion");
        assertTrue(passes.size() >= 8, "every step ran:\n" + out);
    }
}
