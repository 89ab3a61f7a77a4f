package io.patchfleet.rollout.api;

/** Where the rollout of one release in one tier stands, as an admin, a gate or the engine set it. */
public enum RolloutState {
    /** Machines may be offered the release (subject to the policies). */
    ACTIVE,
    /** An admin paused it: no machine is newly offered it until resumed; machines keep what they run. */
    PAUSED,
    /**
     * Stopped for good by an admin ({@code abort}) or a health gate: never offered again in the
     * tier; machines that run it keep it, or are moved back to the previous patch when the halt
     * says revert.
     */
    HALTED
}
