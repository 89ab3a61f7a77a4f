package io.patchfleet.trust.api;

import io.patchfleet.model.Sha256;
import java.time.Instant;
import java.util.EnumSet;
import java.util.Map;
import java.util.Objects;

/**
 * Summary of a verified root metadata file: enough for status output and for checking a
 * pinned fingerprint; the verifier keeps the full metadata.
 *
 * @param version the root version, at least 1
 * @param expires when it expires; never {@code null}
 * @param fingerprint SHA-256 of the root file's bytes exactly as published; never {@code null}
 * @param roles the keys and threshold of every top-level role; all four present; copied, unmodifiable
 */
public record TrustedRoot(long version, Instant expires, Sha256 fingerprint, Map<RoleName, RoleKeys> roles) {
    public TrustedRoot {
        Objects.requireNonNull(expires, "root expires");
        Objects.requireNonNull(fingerprint, "root fingerprint");
        Objects.requireNonNull(roles, "root roles");
        if (version < 1) {
            throw new IllegalArgumentException("root version must be at least 1: " + version);
        }
        roles = Map.copyOf(roles);
        if (!roles.keySet().containsAll(EnumSet.allOf(RoleName.class))) {
            throw new IllegalArgumentException("root must define keys for every top-level role, has " + roles.keySet());
        }
    }
}
