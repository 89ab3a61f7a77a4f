package io.patchfleet.store.api;

import io.patchfleet.model.PatchState;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * One machine of a downstream deployment as its upstream report gives it: never the machine's
 * id, only a keyed hash of it (HMAC-SHA-256 with the downstream's report secret).
 *
 * @param machineHash the hashed machine id: 64 lower-case hex digits
 * @param tier the machine's tier on the downstream ({@code [a-z0-9][a-z0-9._-]{0,62}})
 * @param kernelRelease the kernel release it last reported; empty string if it never reported
 * @param state its last patch state
 * @param patchVersion its last patch version (0: none)
 * @param lastSeen its last check-in on the downstream; empty if it never reported
 */
public record DownstreamMachine(String machineHash, String tier, String kernelRelease, PatchState state, long patchVersion,
        Optional<Instant> lastSeen) {
    private static final Pattern HASH = Pattern.compile("[0-9a-f]{64}");
    private static final Pattern TIER = Pattern.compile("[a-z0-9][a-z0-9._-]{0,62}");

    public DownstreamMachine {
        if (machineHash == null || !HASH.matcher(machineHash).matches()) {
            throw new IllegalArgumentException("a machine hash is 64 lower-case hex digits");
        }
        if (tier == null || !TIER.matcher(tier).matches()) {
            throw new IllegalArgumentException("not a tier name: " + tier);
        }
        Objects.requireNonNull(kernelRelease, "kernelRelease");
        if (kernelRelease.length() > 64) {
            throw new IllegalArgumentException("kernel release longer than 64 characters");
        }
        Objects.requireNonNull(state, "state");
        if (patchVersion < 0) {
            throw new IllegalArgumentException("patch version must not be negative");
        }
        Objects.requireNonNull(lastSeen, "lastSeen");
    }
}
