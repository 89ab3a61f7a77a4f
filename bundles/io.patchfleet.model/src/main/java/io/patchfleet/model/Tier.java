package io.patchfleet.model;

import java.util.Objects;

/**
 * A rollout tier and its place in the ordered list of tiers. Patches reach lower positions
 * first (position 0, e.g. {@code edge}, receives synced patches) and are promoted towards
 * higher positions (e.g. {@code stable}).
 *
 * @param name the tier name; never {@code null}
 * @param position 0-based place in the order; not negative
 */
public record Tier(TierName name, int position) {
    public Tier {
        Objects.requireNonNull(name, "tier name");
        if (position < 0) {
            throw new IllegalArgumentException("tier position must not be negative: " + position);
        }
    }
}
