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
 * Upstream withdrawals (KernelCare's "Blocked" and "Enabled (!)") and opt-in upstream reports
 * with real server processes: {@code withdraw-report-test.sh} (beside this module's pom) runs an
 * upstream, an on-prem server syncing from it and a client, asserts each step, prints one
 * {@code PASS:} line per assertion and ends with {@code N passed, 0 failed}.
 */
class WithdrawAndReportTest {
    private static final Duration HARD_TIMEOUT = Duration.ofMinutes(15);

    @Test
    void aWithdrawnPatchIsRevokedUnlessKeptAndReportsReachTheUpstreamOnlyWhenOptedIn() throws Exception {
        Path work = Path.of("target", "withdraw").toAbsolutePath();
        Path log = Path.of("target", "withdraw-report-test.log").toAbsolutePath();
        ProcessBuilder pb = new ProcessBuilder(Path.of("withdraw-report-test.sh").toAbsolutePath().toString(), work.toString())
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
        assertEquals(0, p.isAlive() ? -1 : p.exitValue(), "withdraw-report-test.sh failed; its output (logs in " + work + "):\n" + out);
        String last = out.lines().reduce("", (a, b) -> b);
        assertTrue(last.matches("\\d+ passed, 0 failed"), "last line: " + last + "\n" + out);
        assertEquals(Integer.parseInt(last.split(" ")[0]), passes.size(), "one PASS line per counted assertion");
        assertTrue(passes.size() >= 8, "every step ran:\n" + out);
    }
}
