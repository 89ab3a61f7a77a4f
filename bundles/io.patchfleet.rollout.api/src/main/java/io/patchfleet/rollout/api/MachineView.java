package io.patchfleet.rollout.api;

import io.patchfleet.model.KernelId;
import io.patchfleet.model.Machine;
import io.patchfleet.model.PatchState;
import java.util.List;
import java.util.Objects;

/**
 * What a policy sees of the machine checking in. Immutable and thread-safe.
 *
 * @param machine identity, tier and tags; never {@code null}
 * @param kernel the running kernel from this check-in; never {@code null}
 * @param currentPatchVersion the patch version the machine runs; 0 when none
 * @param patchState the patch state reported at this check-in; never {@code null}
 * @param recentStates the patch states of the machine's previous check-ins, oldest first, this
 *     check-in excluded; a bounded history (the engine keeps the last few); copied, unmodifiable
 */
public record MachineView(Machine machine, KernelId kernel, long currentPatchVersion, PatchState patchState,
        List<PatchState> recentStates) {
    public MachineView {
        Objects.requireNonNull(machine, "machine");
        Objects.requireNonNull(kernel, "machine kernel");
        Objects.requireNonNull(patchState, "machine patchState");
        Objects.requireNonNull(recentStates, "machine recentStates");
        if (currentPatchVersion < 0) {
            throw new IllegalArgumentException("current patch version must not be negative: " + currentPatchVersion);
        }
        recentStates = List.copyOf(recentStates);
    }
}
