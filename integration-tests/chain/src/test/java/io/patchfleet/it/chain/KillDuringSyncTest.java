package io.patchfleet.it.chain;

import java.time.Duration;
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
        ScriptRun.passes("kill-test.sh", "kill", HARD_TIMEOUT, 8);
    }
}
