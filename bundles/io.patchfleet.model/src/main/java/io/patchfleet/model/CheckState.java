package io.patchfleet.model;

/** Whether the client's last check for patches succeeded (the "check state" of a status). */
public enum CheckState {
    CHECKED("checked"),
    NEEDS_CHECK("needs-check"),
    CHECK_FAILED("check-failed");

    private final String wireName;

    CheckState(String wireName) {
        this.wireName = wireName;
    }

    /** The name on the wire, e.g. {@code "check-failed"}. */
    public String wireName() {
        return wireName;
    }

    /**
     * The constant with this wire name.
     *
     * @throws IllegalArgumentException if no constant has it (no silent fallback)
     */
    public static CheckState fromWire(String wireName) {
        return Wire.fromWire(CheckState.class, CheckState::wireName, wireName);
    }
}
