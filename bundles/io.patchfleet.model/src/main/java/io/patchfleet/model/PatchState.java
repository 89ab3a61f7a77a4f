package io.patchfleet.model;

/** The patch state of a machine's running kernel, as the client reports it. */
public enum PatchState {
    /** The reported patch version is loaded and its transition completed. */
    APPLIED("applied"),
    /** The last attempt to apply a patch failed; the kernel is as before the attempt. */
    APPLY_FAILED("apply-failed"),
    /** A patch is available and allowed but not applied yet (or the run mode forbids applying). */
    UNAPPLIED("unapplied"),
    /** The client has not checked since it started or since the kernel changed. */
    NEEDS_CHECK("needs-check"),
    /** The check succeeded and there is no patch for this kernel. */
    NOTHING_TO_APPLY("nothing-to-apply"),
    /** The client cannot tell, e.g. the livepatch sysfs is unreadable. */
    UNKNOWN("unknown"),
    /** The last check failed (network, verification); see the check state and events. */
    CHECK_FAILED("check-failed"),
    /** A patch is applied but the kernel logged a bug or warning after it was applied. */
    APPLIED_WITH_BUG("applied-with-bug"),
    /** Patches for this kernel have ended; the machine must boot a newer kernel. */
    KERNEL_UPGRADE_REQUIRED("kernel-upgrade-required");

    private final String wireName;

    PatchState(String wireName) {
        this.wireName = wireName;
    }

    /** The name on the wire, e.g. {@code "apply-failed"}. */
    public String wireName() {
        return wireName;
    }

    /**
     * The constant with this wire name.
     *
     * @throws IllegalArgumentException if no constant has it (no silent fallback)
     */
    public static PatchState fromWire(String wireName) {
        return Wire.fromWire(PatchState.class, PatchState::wireName, wireName);
    }
}
