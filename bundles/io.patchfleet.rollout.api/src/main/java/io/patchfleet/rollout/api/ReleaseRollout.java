package io.patchfleet.rollout.api;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * The rollout history and fleet health of one candidate release in the machine's tier.
 *
 * @param version the release's patch version; at least 1
 * @param state where the rollout stands; never {@code null}
 * @param startedAt when the first machine of the tier was offered it; empty before that
 * @param availableSince when the release became available to the tier (synced or promoted
 *     into it); never {@code null}
 * @param health how the tier's machines fared with it; never {@code null}
 */
public record ReleaseRollout(long version, RolloutState state, Optional<Instant> startedAt, Instant availableSince,
        FleetHealth health) {
    public ReleaseRollout {
        Objects.requireNonNull(state, "rollout state");
        Objects.requireNonNull(startedAt, "rollout startedAt");
        Objects.requireNonNull(availableSince, "rollout availableSince");
        Objects.requireNonNull(health, "rollout health");
        if (version < 1) {
            throw new IllegalArgumentException("patch version must be at least 1: " + version);
        }
    }
}
