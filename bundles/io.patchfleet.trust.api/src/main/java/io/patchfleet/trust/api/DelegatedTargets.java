package io.patchfleet.trust.api;

import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The verified targets of one delegated targets role, e.g. the role of one kernel series.
 * Obtained from {@link Verifier#targetsFor} or {@link Verifier#delegatedTargets}: the file was
 * listed by the trusted snapshot at exactly {@link #version}, signed by a threshold of the keys
 * the top-level targets role delegated to it, unexpired at the update start, and every target
 * lies inside the paths delegated to it. Immutable and thread-safe.
 *
 * @param role the delegated role name (see {@link #checkRoleName}); never {@code null}
 * @param version at least 1
 * @param expires when this role's metadata expires; never {@code null}
 * @param targets the verified targets by name; copied, unmodifiable; keys equal target names
 */
public record DelegatedTargets(String role, long version, Instant expires, Map<String, VerifiedTarget> targets) {
    private static final Pattern ROLE = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9._+~-]{0,199}");

    public DelegatedTargets {
        checkRoleName(role);
        Objects.requireNonNull(expires, "expires");
        Objects.requireNonNull(targets, "targets");
        if (version < 1) {
            throw new IllegalArgumentException("role version must be at least 1: " + version);
        }
        targets = Map.copyOf(targets);
        targets.forEach((name, t) -> {
            if (!name.equals(t.name())) {
                throw new IllegalArgumentException("target keyed " + name + " is named " + t.name());
            }
        });
    }

    /** The verified target with this name; empty if this role does not list it. */
    public Optional<VerifiedTarget> target(String name) {
        Objects.requireNonNull(name, "target name");
        return Optional.ofNullable(targets.get(name));
    }

    /**
     * Checks a delegated role name: 1–200 characters of {@code [A-Za-z0-9._+~-]}, not starting
     * with a dot or dash, and not a top-level role name. The name becomes a file name
     * ({@code V.<role>.json}), hence the narrow alphabet.
     *
     * @return {@code role}
     * @throws IllegalArgumentException if it is not a valid delegated role name
     */
    public static String checkRoleName(String role) {
        Objects.requireNonNull(role, "role name");
        if (!ROLE.matcher(role).matches() || role.contains("..")) {
            throw new IllegalArgumentException("invalid delegated role name: \""
                    + role.replaceAll("\\p{Cntrl}", "?") + "\"");
        }
        for (RoleName r : RoleName.values()) {
            if (r.wireName().equals(role)) {
                throw new IllegalArgumentException("delegated role must not be named like top-level role " + role);
            }
        }
        return role;
    }
}
