package io.patchfleet.store.api;

import io.patchfleet.model.KernelId;
import io.patchfleet.model.TierName;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * The stored state of one release's rollout in one tier: what admins and health gates decided.
 * Fleet health is not stored here (the rollout engine keeps it in memory, fed by check-ins).
 *
 * @param kernel the release's kernel; never {@code null}
 * @param version the release's patch version; at least 1
 * @param tier the tier; never {@code null}
 * @param state {@code active}, {@code paused} or {@code halted}
 * @param availableSince when the server first saw the release available to the tier
 * @param startedAt when the first machine of the tier was offered it; empty before
 * @param approvedAt when an admin approved the rollout; empty when not approved
 * @param advancedSteps wave steps advanced by hand; not negative
 * @param cause why it is paused or halted (who, what); empty string when active; at most 512 characters
 * @param revert for a halt: whether machines running the release go back to the previous patch
 * @param updatedAt when this record last changed
 */
public record RolloutRecord(KernelId kernel, long version, TierName tier, String state, Instant availableSince,
        Optional<Instant> startedAt, Optional<Instant> approvedAt, int advancedSteps, String cause, boolean revert,
        Instant updatedAt) {
    /** The states a record may hold. */
    public static final Set<String> STATES = Set.of("active", "paused", "halted");

    public RolloutRecord {
        Objects.requireNonNull(kernel, "kernel");
        Objects.requireNonNull(tier, "tier");
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(availableSince, "availableSince");
        Objects.requireNonNull(startedAt, "startedAt");
        Objects.requireNonNull(approvedAt, "approvedAt");
        Objects.requireNonNull(cause, "cause");
        Objects.requireNonNull(updatedAt, "updatedAt");
        if (version < 1) {
            throw new IllegalArgumentException("patch version must be at least 1: " + version);
        }
        if (!STATES.contains(state)) {
            throw new IllegalArgumentException("rollout state must be one of " + STATES + ": " + state);
        }
        if (advancedSteps < 0) {
            throw new IllegalArgumentException("advanced steps must not be negative");
        }
        if (cause.length() > 512) {
            throw new IllegalArgumentException("rollout cause longer than 512 characters");
        }
    }

    /** A new record: active, nothing decided yet. */
    public static RolloutRecord fresh(KernelId kernel, long version, TierName tier, Instant now) {
        return new RolloutRecord(kernel, version, tier, "active", now, Optional.empty(), Optional.empty(), 0, "", false,
                now);
    }

    public RolloutRecord withState(String newState, String newCause, boolean newRevert, Instant now) {
        return new RolloutRecord(kernel, version, tier, newState, availableSince, startedAt, approvedAt, advancedSteps,
                newCause, newRevert, now);
    }

    public RolloutRecord withStartedAt(Instant at) {
        return new RolloutRecord(kernel, version, tier, state, availableSince, Optional.of(at), approvedAt,
                advancedSteps, cause, revert, at);
    }

    public RolloutRecord withApprovedAt(Instant at) {
        return new RolloutRecord(kernel, version, tier, state, availableSince, startedAt, Optional.of(at), advancedSteps,
                cause, revert, at);
    }

    public RolloutRecord withAdvancedSteps(int steps, Instant now) {
        return new RolloutRecord(kernel, version, tier, state, availableSince, startedAt, approvedAt, steps, cause,
                revert, now);
    }
}
