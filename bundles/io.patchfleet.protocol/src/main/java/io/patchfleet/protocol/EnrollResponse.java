package io.patchfleet.protocol;

import java.util.Map;

/**
 * The answer to an enrollment.
 *
 * @param machineId the enrolled machine
 * @param credential the machine's secret for {@code Authorization: Bearer}; shown once, stored
 *     by the server only as a hash
 * @param tier the tier the token placed the machine in
 * @param directiveKey the server's public directive key as a TUF key object
 *     ({@code keytype}, {@code scheme}, {@code keyval.public}); the client pins it
 * @param publisherRoot the publisher's root metadata the server serves, verbatim; the client
 *     accepts it only if it matches the root or fingerprint it was given ({@code DESIGN.md §2})
 * @param checkInIntervalSeconds how often the server wants check-ins
 */
public record EnrollResponse(String machineId, String credential, String tier, Map<String, Object> directiveKey,
        String publisherRoot, long checkInIntervalSeconds) {
}
