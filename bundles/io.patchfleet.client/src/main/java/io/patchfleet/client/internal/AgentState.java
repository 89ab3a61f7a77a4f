package io.patchfleet.client.internal;

import java.util.List;
import java.util.Map;

/**
 * What the agent knows about this machine's patching, written atomically after every change
 * ({@code DATA/client/state.json}). Immutable; the agent replaces it as a whole.
 *
 * @param applied the patch this client applied and the kernel should run; null for none
 * @param previous the cumulative patch applied before {@link #applied}, kept for a fallback; null for none
 * @param patchState wire name of the patch state
 * @param checkState wire name of the check state
 * @param kernelSupport wire name of the server's support state for this kernel
 * @param lastCheck when the last check-in succeeded (ISO-8601), null before the first
 * @param lastAttempt when the last check-in was attempted
 * @param lastError why the last check or apply failed; null when it did not
 * @param directiveCounter the highest directive counter accepted (replay protection)
 * @param etag the ETag of the last check-in answer
 * @param reason what the server said about why there is no (new) patch
 * @param blocked patches this client holds back (cutoff date, patch delay, crash guard, run mode), with reasons
 * @param crashed the patch whose insertion was interrupted by a crash or reboot; not retried
 *     until the server offers another version or an admin clears it; null for none
 * @param trusted the versions of the trusted publisher metadata (top-level roles and this kernel's
 *     role) as the verifier last confirmed them, sent with each check-in so that the server leaves
 *     out metadata the machine already holds. A hint to the server only, never a trust decision:
 *     whatever the server sends is verified against the trusted store on disk, and metadata it
 *     leaves out is fetched. Kept here so that a daemon's first check-in after a start need not
 *     open the verifier (reading and re-verifying every trusted role's signatures) for an answer
 *     that, most of the time, is "nothing changed". Empty when unknown: the check-in then asks the
 *     verifier.
 */
record AgentState(AppliedPatch applied, AppliedPatch previous, String patchState, String checkState,
        String kernelSupport, String lastCheck, String lastAttempt, String lastError, long directiveCounter,
        String etag, String reason, List<Map<String, Object>> blocked, AppliedPatch crashed, Map<String, Long> trusted) {

    AgentState {
        blocked = blocked == null ? List.of() : List.copyOf(blocked);
        trusted = trusted == null ? Map.of() : Map.copyOf(trusted);
    }

    static AgentState initial() {
        return new AgentState(null, null, "unknown", "needs-check", "unknown", null, null, null, 0, null, null,
                List.of(), null, Map.of());
    }

    AgentState withPatchState(String state, String error) {
        return new AgentState(applied, previous, state, checkState, kernelSupport, lastCheck, lastAttempt, error,
                directiveCounter, etag, reason, blocked, crashed, trusted);
    }

    AgentState withApplied(AppliedPatch now, AppliedPatch before) {
        return new AgentState(now, before, now == null ? "nothing-to-apply" : "applied", checkState, kernelSupport,
                lastCheck, lastAttempt, null, directiveCounter, etag, reason, blocked, crashed, trusted);
    }

    AgentState withCheck(String check, String support, String checked, String attempted, String error, String newEtag,
            String newReason) {
        return new AgentState(applied, previous, patchState, check, support, checked, attempted, error,
                directiveCounter, newEtag, newReason, blocked, crashed, trusted);
    }

    AgentState withCounter(long counter) {
        return new AgentState(applied, previous, patchState, checkState, kernelSupport, lastCheck, lastAttempt,
                lastError, counter, etag, reason, blocked, crashed, trusted);
    }

    AgentState withBlocked(List<Map<String, Object>> nowBlocked) {
        return new AgentState(applied, previous, patchState, checkState, kernelSupport, lastCheck, lastAttempt,
                lastError, directiveCounter, etag, reason, nowBlocked, crashed, trusted);
    }

    AgentState withCrashed(AppliedPatch patch) {
        return new AgentState(applied, previous, patchState, checkState, kernelSupport, lastCheck, lastAttempt,
                lastError, directiveCounter, etag, reason, blocked, patch, trusted);
    }

    AgentState withTrusted(Map<String, Long> versions) {
        return new AgentState(applied, previous, patchState, checkState, kernelSupport, lastCheck, lastAttempt,
                lastError, directiveCounter, etag, reason, blocked, crashed, versions);
    }

    /**
     * A patch module: its publisher fields and where its verified bytes are kept.
     *
     * @param name the livepatch name
     * @param version the patch version
     * @param target the TUF target name
     * @param sha256 hex SHA-256 of the module
     * @param length module bytes
     * @param file where the verified module is kept for re-applying at daemon start
     * @param cves CVE ids with severities: {@code [{"id": …, "severity": …}]}
     * @param description the publisher's description
     * @param publishedAt ISO-8601
     */
    record AppliedPatch(String name, long version, String target, String sha256, long length, String file,
            List<Map<String, String>> cves, String description, String publishedAt) {
        AppliedPatch {
            cves = cves == null ? List.of() : List.copyOf(cves);
        }
    }
}
