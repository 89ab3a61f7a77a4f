package io.patchfleet.store.api;

import io.patchfleet.model.PatchState;
import io.patchfleet.model.TierName;
import java.util.Objects;

/**
 * One cell of patch health: how many machines of a tier last reported a patch version and state.
 *
 * @param tier the tier; never {@code null}
 * @param patchVersion the reported patch version; 0 when none is applied
 * @param state the reported patch state; never {@code null}
 * @param machines how many machines; at least 1
 */
public record HealthCount(TierName tier, long patchVersion, PatchState state, long machines) {
    public HealthCount {
        Objects.requireNonNull(tier, "tier");
        Objects.requireNonNull(state, "state");
        if (patchVersion < 0 || machines < 1) {
            throw new IllegalArgumentException("patch version must not be negative and machines positive");
        }
    }
}
