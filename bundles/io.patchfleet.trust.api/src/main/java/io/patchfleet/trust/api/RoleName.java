package io.patchfleet.trust.api;

import java.util.Objects;

/** The top-level TUF roles. Their wire names are the TUF {@code _type} values. */
public enum RoleName {
    ROOT("root"),
    TARGETS("targets"),
    SNAPSHOT("snapshot"),
    TIMESTAMP("timestamp");

    private final String wireName;

    RoleName(String wireName) {
        this.wireName = wireName;
    }

    /** The TUF name, e.g. {@code "snapshot"}. */
    public String wireName() {
        return wireName;
    }

    /**
     * The role with this TUF name.
     *
     * @throws IllegalArgumentException if there is none (delegated roles are not top-level roles)
     */
    public static RoleName fromWire(String wireName) {
        Objects.requireNonNull(wireName, "role name");
        for (RoleName r : values()) {
            if (r.wireName.equals(wireName)) {
                return r;
            }
        }
        throw new IllegalArgumentException("not a top-level TUF role: \"" + wireName.replaceAll("\\p{Cntrl}", "?") + "\"");
    }
}
