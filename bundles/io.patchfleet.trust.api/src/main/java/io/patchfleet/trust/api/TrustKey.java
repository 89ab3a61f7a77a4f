package io.patchfleet.trust.api;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A public key as listed in root or delegating targets metadata.
 *
 * @param id the key id: SHA-256 of the canonical JSON of the key object; never {@code null}
 * @param keyType the TUF key type, e.g. {@code ed25519}, {@code ecdsa}; {@code [a-z0-9-]}, 1–32 characters
 * @param scheme the TUF signature scheme, e.g. {@code ed25519}, {@code ecdsa-sha2-nistp256};
 *     {@code [a-z0-9-]}, 1–64 characters
 * @param publicKey the TUF {@code keyval.public} value verbatim: lower-case hex of the raw 32
 *     bytes for {@code ed25519}, a PEM {@code SubjectPublicKeyInfo} for ECDSA (as
 *     securesystemslib writes it); printable ASCII and line feeds, 1–4096 characters
 */
public record TrustKey(KeyId id, String keyType, String scheme, String publicKey) {
    private static final Pattern TYPE = Pattern.compile("[a-z0-9-]{1,32}");
    private static final Pattern SCHEME = Pattern.compile("[a-z0-9-]{1,64}");
    private static final Pattern VALUE = Pattern.compile("[\\x20-\\x7e\\n]{1,4096}");

    public TrustKey {
        Objects.requireNonNull(id, "key id");
        Objects.requireNonNull(keyType, "key type");
        Objects.requireNonNull(scheme, "key scheme");
        Objects.requireNonNull(publicKey, "public key");
        if (!TYPE.matcher(keyType).matches() || !SCHEME.matcher(scheme).matches()) {
            throw new IllegalArgumentException("invalid key type or scheme for key " + id);
        }
        if (!VALUE.matcher(publicKey).matches()) {
            throw new IllegalArgumentException("public key of " + id + " must be 1-4096 printable ASCII characters");
        }
    }
}
