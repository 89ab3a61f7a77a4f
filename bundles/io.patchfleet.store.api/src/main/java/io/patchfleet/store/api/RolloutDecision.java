package io.patchfleet.store.api;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * What the rollout policy chain last answered a machine: the outcome, the reason shown in the
 * machine's status and in reports ("held: maintenance window opens 02:00 UTC"), and when a hold
 * ends if it says so.
 *
 * @param outcome {@code offer}, {@code hold} or {@code revert}
 * @param reason why (for an offer: which patch); at most {@link #MAX_REASON} characters, longer
 *     reasons are cut
 * @param notBefore when a hold is expected to end; empty when it names no time
 * @param decidedAt when this answer was first given (it is recorded again only when it changes)
 */
public record RolloutDecision(String outcome, String reason, Optional<Instant> notBefore, Instant decidedAt) {
    /** The longest reason stored. */
    public static final int MAX_REASON = 1000;
    private static final Set<String> OUTCOMES = Set.of("offer", "hold", "revert");

    public RolloutDecision {
        Objects.requireNonNull(outcome, "outcome");
        Objects.requireNonNull(reason, "reason");
        Objects.requireNonNull(notBefore, "notBefore");
        Objects.requireNonNull(decidedAt, "decidedAt");
        if (!OUTCOMES.contains(outcome)) {
            throw new IllegalArgumentException("a rollout decision is offer, hold or revert: " + outcome);
        }
        if (reason.length() > MAX_REASON) {
            reason = reason.substring(0, MAX_REASON);
        }
    }

    /** Whether this answer says the same as {@code other} (outcome, reason, not-before), whenever given. */
    public boolean sameAs(RolloutDecision other) {
        return other != null && outcome.equals(other.outcome) && reason.equals(other.reason) && notBefore.equals(other.notBefore);
    }

    /** An offer of patch {@code version}: its reason is {@code "patch N"}, what {@link MachineFilter#offered} matches. */
    public static RolloutDecision offer(long version, Instant at) {
        return new RolloutDecision("offer", offerReason(version), Optional.empty(), at);
    }

    /** The reason of an offer of {@code version}. */
    public static String offerReason(long version) {
        return "patch " + version;
    }

    public boolean held() {
        return outcome.equals("hold");
    }
}
