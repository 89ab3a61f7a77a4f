package io.patchfleet.rollout.api;

/** Where the rollout of one release in one tier stands, as an admin or the engine set it. */
public enum RolloutState {
    /** No machine of the tier has been offered the release yet. */
    NOT_STARTED,
    /** Machines are being offered the release. */
    ACTIVE,
    /** An admin or a health gate paused it; no new offers until resumed. */
    PAUSED,
    /** Stopped for good (failures, revocation); machines running it should revert. */
    HALTED,
    /** Every eligible machine has been offered it. */
    COMPLETE
}
