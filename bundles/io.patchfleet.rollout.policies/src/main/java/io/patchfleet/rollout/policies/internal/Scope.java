package io.patchfleet.rollout.policies.internal;

import java.util.Arrays;
import java.util.Set;
import java.util.stream.Collectors;

import io.patchfleet.model.Machine;
import io.patchfleet.rollout.api.Decision;
import io.patchfleet.rollout.api.RolloutContext;

/**
 * Shared pieces of the built-in policies: machine tag scope, and the answer of a policy that has
 * no objection. Tier scope is not here: the engine applies each policy only to the tiers in its
 * {@code tiers} property.
 */
final class Scope {
    private Scope() {}

    /**
     * A list setting: array elements, each also split at commas, so {@code tags = role:db, dc=fra1}
     * in a {@code .cfg} file (one string) means the same as an array of two.
     */
    static java.util.List<String> list(String[] raw) {
        if (raw == null) {
            return java.util.List.of();
        }
        return Arrays.stream(raw).flatMap(e -> Arrays.stream(e.split(","))).map(String::strip).filter(t -> !t.isEmpty())
                .toList();
    }

    /** Checked tags; empty: every machine. */
    static Set<String> tags(String[] tags) {
        return list(tags).stream().map(Machine::checkTag).collect(Collectors.toUnmodifiableSet());
    }

    /** Whether the machine has one of {@code tags} (or {@code tags} is empty). */
    static boolean matches(Set<String> tags, RolloutContext ctx) {
        if (tags.isEmpty()) {
            return true;
        }
        for (String t : ctx.machine().machine().tags()) {
            if (tags.contains(t)) {
                return true;
            }
        }
        return false;
    }

    /**
     * No objection: offer the newest candidate (or, with none, hold "nothing to offer" until
     * something changes — the tier policy says why).
     */
    static Decision noObjection(RolloutContext ctx) {
        return ctx.newest().<Decision>map(Decision::offer)
                .orElseGet(() -> Decision.hold("no patch to offer", ctx.now()));
    }

    /** A configuration that did not validate: the policy holds everything and says why. */
    static Decision misconfigured(String name, String error, RolloutContext ctx) {
        String reason = "rollout policy " + name + " is misconfigured: " + error;
        return Decision.hold(reason.length() > Decision.MAX_REASON ? reason.substring(0, Decision.MAX_REASON) : reason,
                ctx.now());
    }

    static String name(String configured, String kind) {
        return configured == null || configured.isBlank() ? kind : configured.strip();
    }
}
