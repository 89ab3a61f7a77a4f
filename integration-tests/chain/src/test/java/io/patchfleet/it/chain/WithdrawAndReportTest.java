package io.patchfleet.it.chain;

import java.time.Duration;
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
        ScriptRun.passes("withdraw-report-test.sh", "withdraw", HARD_TIMEOUT, 8);
    }
}
