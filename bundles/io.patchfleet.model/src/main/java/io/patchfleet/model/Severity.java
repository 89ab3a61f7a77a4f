package io.patchfleet.model;

/**
 * How severe a fixed vulnerability is, in the priority scale of distribution security trackers.
 * Ordered from least to most severe, so {@code compareTo} ranks them.
 */
public enum Severity {
    UNKNOWN("unknown"),
    NEGLIGIBLE("negligible"),
    LOW("low"),
    MEDIUM("medium"),
    HIGH("high"),
    CRITICAL("critical");

    private final String wireName;

    Severity(String wireName) {
        this.wireName = wireName;
    }

    /** The name on the wire and in metadata, e.g. {@code "high"}. */
    public String wireName() {
        return wireName;
    }

    /**
     * The constant with this wire name.
     *
     * @throws IllegalArgumentException if no constant has it (no silent fallback)
     */
    public static Severity fromWire(String wireName) {
        return Wire.fromWire(Severity.class, Severity::wireName, wireName);
    }
}
