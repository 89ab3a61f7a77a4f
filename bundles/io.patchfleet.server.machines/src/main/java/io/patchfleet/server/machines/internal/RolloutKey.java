package io.patchfleet.server.machines.internal;

import io.patchfleet.model.KernelId;
import io.patchfleet.model.TierName;
import java.util.Objects;

/** One release (kernel, version) in one tier: what a rollout is about. */
record RolloutKey(KernelId kernel, long version, TierName tier) {
    RolloutKey {
        Objects.requireNonNull(kernel, "kernel");
        Objects.requireNonNull(tier, "tier");
    }

    @Override
    public String toString() {
        return kernel.release() + "/" + kernel.architecture() + (kernel.build().isEmpty() ? "" : "/" + kernel.build())
                + "#" + version + "@" + tier.value();
    }
}
