package io.patchfleet.protocol;

import java.util.Map;

/**
 * The answer to a check-in.
 *
 * @param kernelSupport wire name of the server's support state for the machine's kernel
 *     ({@code supported}, {@code unsupported}, {@code kernel-end-of-life},
 *     {@code kernel-upgrade-required}); an unknown kernel is a state, not an error
 * @param metadata TUF metadata files newer than the client's {@code trustedVersions}, by file
 *     name ({@code timestamp.json}, {@code 8.snapshot.json}, …), each the publisher's bytes as a
 *     UTF-8 string; the client still verifies every one
 * @param directive the signed directive (JSON text of {@code {"signed": …, "signatures": …}})
 *     telling this machine which target to run now, or null when the server has nothing to say
 * @param reason why the machine gets no (new) patch, for its status, such as
 *     {@code "held: maintenance window opens 02:00 UTC"}; null when none
 * @param nextCheckInSeconds when to check in next, with the server's jitter applied
 */
public record CheckInResponse(String kernelSupport, Map<String, String> metadata, String directive, String reason,
        long nextCheckInSeconds) {

    public CheckInResponse {
        metadata = metadata == null ? Map.of() : Map.copyOf(metadata);
    }
}
