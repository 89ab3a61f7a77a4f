package io.patchfleet.rollout.api;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * The rollout of one candidate release in the machine's tier: what admins and gates decided, and
 * how the tier's machines fared.
 *
 * @param version the release's patch version; at least 1
 * @param state where the rollout stands; never {@code null}. The engine itself enforces
 *     {@link RolloutState#PAUSED} and {@link RolloutState#HALTED} before any policy is asked,
 *     so policies see those states only for information.
 * @param startedAt when the first machine of the tier was offered it; empty before that
 * @param availableSince when the server first saw the release available to the tier (synced or
 *     promoted into it); stored, so a restarted server keeps the same wave schedule; never
 *     {@code null}
 * @param approvedAt when an admin approved the rollout in this tier (the optional approval gate
 *     before the first wave); empty when not approved
 * @param advancedSteps how many wave steps admins advanced it by hand (each {@code advance}
 *     adds one); not negative
 * @param haltCause why it is halted or paused (admin, health gate); empty otherwise
 * @param history fleet health over sliding windows; never {@code null}
 */
public record ReleaseRollout(long version, RolloutState state, Optional<Instant> startedAt, Instant availableSince,
        Optional<Instant> approvedAt, int advancedSteps, Optional<String> haltCause, HealthHistory history) {
    public ReleaseRollout {
        Objects.requireNonNull(state, "rollout state");
        Objects.requireNonNull(startedAt, "rollout startedAt");
        Objects.requireNonNull(availableSince, "rollout availableSince");
        Objects.requireNonNull(approvedAt, "rollout approvedAt");
        Objects.requireNonNull(haltCause, "rollout haltCause");
        Objects.requireNonNull(history, "rollout history");
        if (version < 1) {
            throw new IllegalArgumentException("patch version must be at least 1: " + version);
        }
        if (advancedSteps < 0) {
            throw new IllegalArgumentException("advanced steps must not be negative: " + advancedSteps);
        }
    }

    /** A rollout nobody has touched: active since {@code availableSince}, nothing known of its health. */
    public static ReleaseRollout fresh(long version, Instant availableSince) {
        return new ReleaseRollout(version, RolloutState.ACTIVE, Optional.empty(), availableSince, Optional.empty(), 0,
                Optional.empty(), HealthHistory.NONE);
    }

    /** All-time fleet health (everything the engine keeps). */
    public FleetHealth health() {
        return history.since(Instant.EPOCH);
    }

    /** Fleet health of the window that starts at {@code from}. */
    public FleetHealth healthSince(Instant from) {
        return history.since(from);
    }
}
