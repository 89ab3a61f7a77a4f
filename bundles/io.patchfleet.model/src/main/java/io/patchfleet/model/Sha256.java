package io.patchfleet.model;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Objects;

/**
 * A SHA-256 digest, held as 64 lower-case hexadecimal characters. It names blobs in content
 * addressed storage and pins patch modules, so it is validated strictly: upper-case input is
 * rejected rather than folded, so that one digest has exactly one spelling (and one file name).
 *
 * @param hex 64 lower-case hexadecimal characters; never {@code null}
 */
public record Sha256(String hex) {
    public Sha256 {
        Objects.requireNonNull(hex, "sha256 hex");
        if (!Chars.hex64(hex)) {
            throw new IllegalArgumentException("not a lower-case hex SHA-256: \"" + Wire.printable(hex) + "\"");
        }
    }

    /** Parses a digest; same as the constructor, for readability at call sites. */
    public static Sha256 of(String hex) {
        return new Sha256(hex);
    }

    /** Wraps a raw 32-byte digest, e.g. from {@link MessageDigest#digest()}. */
    public static Sha256 ofDigest(byte[] digest) {
        Objects.requireNonNull(digest, "digest");
        if (digest.length != 32) {
            throw new IllegalArgumentException("SHA-256 digest must be 32 bytes, got " + digest.length);
        }
        return new Sha256(HexFormat.of().formatHex(digest));
    }

    /** Computes the digest of {@code content}. */
    public static Sha256 digestOf(byte[] content) {
        Objects.requireNonNull(content, "content");
        return ofDigest(newDigest().digest(content));
    }

    /**
     * A prototype to clone: {@code MessageDigest.getInstance} searches the security providers on
     * every call, which was 2 % of the server's CPU when every check-in hashed its credential
     * (async-profiler, bench/checkin.sh); a clone copies a few words. Never updated, so cloning
     * it from many threads at once is safe.
     */
    private static final MessageDigest PROTOTYPE = create();

    private static MessageDigest create() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the Java runtime has no SHA-256", e);
        }
    }

    /** A new SHA-256 {@link MessageDigest}; every Java 17 runtime has one. */
    public static MessageDigest newDigest() {
        try {
            return (MessageDigest) PROTOTYPE.clone();
        } catch (CloneNotSupportedException e) {
            return create(); // a provider whose digest cannot be cloned: look it up each time
        }
    }

    /** The 32 raw bytes. */
    public byte[] bytes() {
        return HexFormat.of().parseHex(hex);
    }

    @Override
    public String toString() {
        return hex;
    }
}
