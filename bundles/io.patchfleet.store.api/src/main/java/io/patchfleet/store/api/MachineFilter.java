package io.patchfleet.store.api;

import io.patchfleet.model.KernelId;
import io.patchfleet.model.PatchState;
import io.patchfleet.model.TierName;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Which machines a query selects; every present criterion must hold (AND). Criteria on the
 * last report (kernel, patch version and state, last seen) never match a machine that has not
 * reported, except {@link #seenBefore}, which selects silent machines too.
 *
 * @param tier machines of this tier
 * @param kernelRelease machines whose last report ran this kernel release ({@code uname -r})
 * @param patchVersion machines whose last report had this patch version (0: none applied)
 * @param patchState machines whose last report had this patch state
 * @param seenAfter machines whose last report was received at or after this time
 * @param seenBefore machines whose last report was received before this time, or that never
 *     reported: "silent since"
 * @param held machines whose last rollout decision was a hold; the empty string selects every
 *     held machine, any other value those whose hold reason contains it (ignoring case)
 * @param offered machines whose last rollout decision offered this patch version (in its wave,
 *     or running it): a rollout's real exposure
 */
public record MachineFilter(Optional<TierName> tier, Optional<String> kernelRelease, OptionalLong patchVersion,
        Optional<PatchState> patchState, Optional<Instant> seenAfter, Optional<Instant> seenBefore, Optional<String> held,
        OptionalLong offered) {

    /** The filter that selects every machine. */
    public static final MachineFilter ALL = new MachineFilter(Optional.empty(), Optional.empty(),
            OptionalLong.empty(), Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), OptionalLong.empty());

    public MachineFilter {
        Objects.requireNonNull(tier, "tier");
        Objects.requireNonNull(kernelRelease, "kernelRelease");
        Objects.requireNonNull(patchVersion, "patchVersion");
        Objects.requireNonNull(patchState, "patchState");
        Objects.requireNonNull(seenAfter, "seenAfter");
        Objects.requireNonNull(seenBefore, "seenBefore");
        Objects.requireNonNull(held, "held");
        Objects.requireNonNull(offered, "offered");
        kernelRelease.ifPresent(KernelId::checkRelease);
        if (patchVersion.isPresent() && patchVersion.getAsLong() < 0) {
            throw new IllegalArgumentException("patch version must not be negative");
        }
    }

    public MachineFilter withTier(TierName value) {
        return new MachineFilter(Optional.of(value), kernelRelease, patchVersion, patchState, seenAfter, seenBefore, held, offered);
    }

    public MachineFilter withKernelRelease(String value) {
        return new MachineFilter(tier, Optional.of(value), patchVersion, patchState, seenAfter, seenBefore, held, offered);
    }

    public MachineFilter withPatchVersion(long value) {
        return new MachineFilter(tier, kernelRelease, OptionalLong.of(value), patchState, seenAfter, seenBefore, held, offered);
    }

    public MachineFilter withPatchState(PatchState value) {
        return new MachineFilter(tier, kernelRelease, patchVersion, Optional.of(value), seenAfter, seenBefore, held, offered);
    }

    public MachineFilter withSeenAfter(Instant value) {
        return new MachineFilter(tier, kernelRelease, patchVersion, patchState, Optional.of(value), seenBefore, held, offered);
    }

    /** Held machines; {@code reasonContains} empty: every held machine. */
    public MachineFilter withHeld(String reasonContains) {
        return new MachineFilter(tier, kernelRelease, patchVersion, patchState, seenAfter, seenBefore,
                Optional.of(Objects.requireNonNull(reasonContains, "reasonContains")), offered);
    }

    /** Machines whose last rollout decision offered patch {@code version}. */
    public MachineFilter withOffered(long version) {
        return new MachineFilter(tier, kernelRelease, patchVersion, patchState, seenAfter, seenBefore, held,
                OptionalLong.of(version));
    }

    public MachineFilter withSeenBefore(Instant value) {
        return new MachineFilter(tier, kernelRelease, patchVersion, patchState, seenAfter, Optional.of(value), held, offered);
    }
}
