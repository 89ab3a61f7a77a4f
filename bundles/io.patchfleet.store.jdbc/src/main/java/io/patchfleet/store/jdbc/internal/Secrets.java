package io.patchfleet.store.jdbc.internal;

import io.patchfleet.model.Sha256;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;

/** Random secrets and their stored form. Thread-safe ({@link SecureRandom} is). */
final class Secrets {
    private static final SecureRandom RANDOM = new SecureRandom();

    private Secrets() {}

    /** 32 random bytes, base64url without padding (43 characters). */
    static String newSecret() {
        byte[] bytes = new byte[32];
        RANDOM.nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    /** A short random public id: 16 lower-case hex characters. */
    static String newId() {
        byte[] bytes = new byte[8];
        RANDOM.nextBytes(bytes);
        return HexFormat.of().formatHex(bytes);
    }

    /** What the database keeps of a secret: its SHA-256 in hex. */
    static String hash(String secret) {
        return Sha256.digestOf(secret.getBytes(StandardCharsets.UTF_8)).hex();
    }
}
