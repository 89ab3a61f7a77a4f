package io.patchfleet.trust.api;

import io.patchfleet.model.Sha256;
import java.util.Objects;
import java.util.Optional;

/**
 * What a verifier trusts before it has any root: a pinned root, or, only when an operator asked
 * for it explicitly, the first root it is given.
 *
 * <p>A root shipped with the client or given as a file is pinned by the SHA-256 of its bytes
 * (the caller puts the file itself into the {@link TrustedMetadataStore} or serves it from the
 * {@link MetadataSource}). Trust on first use is a visible, explicit choice (DESIGN §2): status
 * output must say so, and nothing in the platform picks it as a default.
 *
 * @param kind how the first root is trusted; never {@code null}
 * @param fingerprint for {@link Kind#PINNED}, the SHA-256 of the trusted root file; empty for
 *     {@link Kind#TRUST_ON_FIRST_USE}
 */
public record TrustAnchor(Kind kind, Optional<Sha256> fingerprint) {
    public TrustAnchor {
        Objects.requireNonNull(kind, "anchor kind");
        Objects.requireNonNull(fingerprint, "anchor fingerprint");
        if ((kind == Kind.PINNED) != fingerprint.isPresent()) {
            throw new IllegalArgumentException("a pinned anchor needs a fingerprint, trust on first use must not have one");
        }
    }

    /** Trust the root file whose bytes have this SHA-256, and roots chained from it. */
    public static TrustAnchor pinned(Sha256 rootFingerprint) {
        return new TrustAnchor(Kind.PINNED, Optional.of(rootFingerprint));
    }

    /** Trust whatever root comes first. Only on an explicit operator choice. */
    public static TrustAnchor trustOnFirstUse() {
        return new TrustAnchor(Kind.TRUST_ON_FIRST_USE, Optional.empty());
    }

    /** How the first root is trusted. */
    public enum Kind {
        PINNED,
        TRUST_ON_FIRST_USE
    }
}
