package io.patchfleet.trust.api;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A TUF key id: the lower-case hex SHA-256 of the key's canonical JSON form.
 *
 * @param hex 64 lower-case hexadecimal characters; never {@code null}
 */
public record KeyId(String hex) {
    private static final Pattern HEX64 = Pattern.compile("[0-9a-f]{64}");

    public KeyId {
        Objects.requireNonNull(hex, "key id");
        if (!HEX64.matcher(hex).matches()) {
            throw new IllegalArgumentException("key id must be 64 lower-case hex characters");
        }
    }

    @Override
    public String toString() {
        return hex;
    }
}
