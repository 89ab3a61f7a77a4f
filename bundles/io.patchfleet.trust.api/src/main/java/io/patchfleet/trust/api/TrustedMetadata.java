package io.patchfleet.trust.api;

import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The result of a complete, successful metadata update: versions of all four roles and the
 * verified targets. Immutable and thread-safe; a new update yields a new instance.
 *
 * @param root the trusted root; never {@code null}
 * @param timestampVersion at least 1
 * @param snapshotVersion at least 1
 * @param targetsVersion at least 1
 * @param expires the earliest expiry of the four roles: after it, this metadata must not be
 *     used to install anything (the machine's status shows it as expired); never {@code null}
 * @param verifiedAt the update start time the expiries were checked against; never {@code null}
 * @param targets the verified targets listed by the top-level targets role itself, by name;
 *     copied, unmodifiable; keys equal target names. Patches are normally listed by delegated
 *     roles instead (one per kernel series): get them with {@link Verifier#targetsFor}
 * @param delegatedRoles the delegated targets roles the trusted snapshot lists, with their
 *     versions; copied, unmodifiable
 */
public record TrustedMetadata(TrustedRoot root, long timestampVersion, long snapshotVersion, long targetsVersion,
        Instant expires, Instant verifiedAt, Map<String, VerifiedTarget> targets, Map<String, Long> delegatedRoles) {
    public TrustedMetadata {
        Objects.requireNonNull(root, "root");
        Objects.requireNonNull(expires, "expires");
        Objects.requireNonNull(verifiedAt, "verifiedAt");
        Objects.requireNonNull(targets, "targets");
        if (timestampVersion < 1 || snapshotVersion < 1 || targetsVersion < 1) {
            throw new IllegalArgumentException("metadata versions must be at least 1");
        }
        Objects.requireNonNull(delegatedRoles, "delegatedRoles");
        delegatedRoles = Map.copyOf(delegatedRoles);
        delegatedRoles.keySet().forEach(DelegatedTargets::checkRoleName);
        targets = Map.copyOf(targets);
        targets.forEach((name, t) -> {
            if (!name.equals(t.name())) {
                throw new IllegalArgumentException("target keyed " + name + " is named " + t.name());
            }
        });
    }

    /** The verified target with this name; empty if the signed metadata does not list it. */
    public Optional<VerifiedTarget> target(String name) {
        Objects.requireNonNull(name, "target name");
        return Optional.ofNullable(targets.get(name));
    }

    /** Whether the metadata has expired at {@code now}: true from {@link #expires} on. */
    public boolean isExpired(Instant now) {
        return !now.isBefore(expires);
    }
}
