package io.patchfleet.trust.api;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A public key as listed in root metadata.
 *
 * @param id the key id; never {@code null}
 * @param keyType the TUF key type, e.g. {@code ed25519}; {@code [a-z0-9-]}, 1–32 characters
 * @param scheme the TUF signature scheme, e.g. {@code ed25519}; {@code [a-z0-9-]}, 1–64 characters
 * @param publicKeyHex the public key value as in the TUF {@code keyval.public} field, lower-case hex
 */
public record TrustKey(KeyId id, String keyType, String scheme, String publicKeyHex) {
    private static final Pattern TYPE = Pattern.compile("[a-z0-9-]{1,32}");
    private static final Pattern SCHEME = Pattern.compile("[a-z0-9-]{1,64}");
    private static final Pattern HEX = Pattern.compile("([0-9a-f]{2}){1,1024}");

    public TrustKey {
        Objects.requireNonNull(id, "key id");
        Objects.requireNonNull(keyType, "key type");
        Objects.requireNonNull(scheme, "key scheme");
        Objects.requireNonNull(publicKeyHex, "public key");
        if (!TYPE.matcher(keyType).matches() || !SCHEME.matcher(scheme).matches()) {
            throw new IllegalArgumentException("invalid key type or scheme for key " + id);
        }
        if (!HEX.matcher(publicKeyHex).matches()) {
            throw new IllegalArgumentException("public key of " + id + " must be lower-case hex");
        }
    }
}
