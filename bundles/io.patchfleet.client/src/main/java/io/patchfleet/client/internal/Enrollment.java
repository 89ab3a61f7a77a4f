package io.patchfleet.client.internal;

import java.util.Map;

/**
 * What {@code enable} stored: who this machine is to its server and whom it trusts
 * ({@code DATA/client/enrollment.json}, owner-only).
 *
 * @param machineId the machine id the server knows
 * @param credential the machine's bearer credential
 * @param server the server's base URL
 * @param tier the tier the token placed the machine in
 * @param directiveKey the server's directive key, a TUF key object, pinned at enrollment
 * @param rootSha256 the publisher root fingerprint pinned at enable; null with trust on first use
 * @param trustOnFirstUse whether the operator chose to trust the first publisher root served
 * @param enrolledAt when (ISO-8601)
 */
record Enrollment(String machineId, String credential, String server, String tier, Map<String, Object> directiveKey,
        String rootSha256, boolean trustOnFirstUse, String enrolledAt) {
}
