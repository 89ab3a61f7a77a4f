package io.patchfleet.trust.tuf.internal;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** The TUF hash algorithms Patchfleet checks: {@code sha256} and {@code sha512}. */
final class Hashes {
    private Hashes() {}

    /** A new digest for a TUF algorithm name; null for an algorithm not checked here. */
    static MessageDigest digest(String algorithm) {
        String jca = switch (algorithm) {
            case "sha256" -> "SHA-256";
            case "sha512" -> "SHA-512";
            default -> null;
        };
        if (jca == null) {
            return null;
        }
        try {
            return MessageDigest.getInstance(jca);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the Java runtime lacks " + jca, e);
        }
    }

    /** Hex digest of {@code content}; null for an algorithm not checked here. */
    static String hex(String algorithm, byte[] content) {
        MessageDigest d = digest(algorithm);
        return d == null ? null : HexFormat.of().formatHex(d.digest(content));
    }
}
