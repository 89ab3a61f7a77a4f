package io.patchfleet.it.chain;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * Upstream → on-prem → on-prem, the air gap and the sync faults, with real server processes:
 * {@code chain-test.sh} (beside this module's pom) asserts every step itself, prints one
 * {@code PASS:} line per assertion and ends with {@code N passed, 0 failed}. This test runs it
 * inside the README's test command and fails with its output if any step failed.
 */
class ChainTest {
    private static final Duration HARD_TIMEOUT = Duration.ofMinutes(25);

    @Test
    void aPatchPublishedAtTheStartOfAChainIsAppliedAtItsEndAndEveryFaultIsRefused() throws Exception {
        ScriptRun.passes("chain-test.sh", "chain", HARD_TIMEOUT, 10);
    }
}
