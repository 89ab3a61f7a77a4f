package io.patchfleet.it.chain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs one of this module's scripts (beside its pom) with real server processes and checks its
 * verdict: exit 0, one {@code PASS:} line per counted assertion, last line {@code N passed, 0
 * failed}, at least {@code minPasses} of them. A script that overruns {@code hardTimeout} is
 * killed with its children; a failure carries the script's whole output.
 */
final class ScriptRun {
    private ScriptRun() {}

    static void passes(String script, String workName, Duration hardTimeout, int minPasses) throws Exception {
        Path work = Path.of("target", workName).toAbsolutePath();
        Files.createDirectories(work);
        Path log = Path.of("target", script.replaceFirst("\\.sh$", "") + ".log").toAbsolutePath();
        ProcessBuilder pb = new ProcessBuilder(Path.of(script).toAbsolutePath().toString(), work.toString())
                .redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().putIfAbsent("CHAIN_TIMEOUT", "180");
        Process p = pb.start();
        if (!p.waitFor(hardTimeout.toSeconds(), TimeUnit.SECONDS)) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            p.waitFor(30, TimeUnit.SECONDS);
        }
        String out = Files.readString(log, StandardCharsets.UTF_8);
        List<String> passes = out.lines().filter(l -> l.startsWith("PASS: ")).toList();
        System.out.println(String.join("\n", passes));
        assertEquals(0, p.isAlive() ? -1 : p.exitValue(), script + " failed; its output (logs in " + work + "):\n" + out);
        String last = out.lines().reduce("", (a, b) -> b);
        assertTrue(last.matches("\\d+ passed, 0 failed"), "last line: " + last + "\n" + out);
        assertEquals(Integer.parseInt(last.split(" ")[0]), passes.size(), "one PASS line per counted assertion");
        assertTrue(passes.size() >= minPasses, "every step of " + script + " ran:\n" + out);
    }
}
