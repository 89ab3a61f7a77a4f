package io.patchfleet.server.admin.internal;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Base64;

import org.bouncycastle.crypto.generators.OpenBSDBCrypt;

/**
 * Password hashing with bcrypt ({@code $2y$}, BouncyCastle's {@link OpenBSDBCrypt}) and random
 * passwords. Thread-safe.
 *
 * <p>bcrypt reads at most 72 bytes of a password; longer passwords are refused when set rather
 * than silently cut. Checking a login against an unknown user runs the same bcrypt work against
 * a dummy hash, so the answer time does not tell whether the user exists.
 */
final class Passwords {
    static final int MIN_LENGTH = 10;
    static final int MAX_BYTES = 72;

    private final SecureRandom random = new SecureRandom();
    private final int cost;
    private final String dummyHash;

    /** @param cost bcrypt cost (log2 of the rounds), 4–31; 12 in production */
    Passwords(int cost) {
        if (cost < 4 || cost > 31) {
            throw new IllegalArgumentException("bcrypt cost must be in 4..31: " + cost);
        }
        this.cost = cost;
        this.dummyHash = hash(randomPassword());
    }

    int cost() {
        return cost;
    }

    /** A new bcrypt hash of {@code password} with a fresh salt. */
    String hash(String password) {
        byte[] salt = new byte[16];
        random.nextBytes(salt);
        return OpenBSDBCrypt.generate("2y", password.toCharArray(), salt, cost);
    }

    /**
     * Whether {@code password} matches {@code hash}; with a {@code null} hash (unknown user) the
     * same work is done against a dummy hash and the answer is false. BouncyCastle compares in
     * constant time.
     */
    boolean matches(String password, String hash) {
        boolean tooLong = password.getBytes(StandardCharsets.UTF_8).length > MAX_BYTES;
        String against = hash == null || tooLong ? dummyHash : hash;
        boolean ok;
        try {
            ok = OpenBSDBCrypt.checkPassword(against, password.substring(0, Math.min(password.length(), MAX_BYTES)).toCharArray());
        } catch (IllegalArgumentException e) {
            ok = false; // a stored hash this code cannot read never matches
        }
        return ok && hash != null && !tooLong;
    }

    /**
     * Checks a new password: {@value #MIN_LENGTH} characters at least, {@value #MAX_BYTES} bytes
     * at most, no control characters.
     *
     * @throws IllegalArgumentException saying what is wrong
     */
    static String checkNew(String password) {
        if (password == null || password.length() < MIN_LENGTH) {
            throw new IllegalArgumentException("a password needs at least " + MIN_LENGTH + " characters");
        }
        if (password.getBytes(StandardCharsets.UTF_8).length > MAX_BYTES) {
            throw new IllegalArgumentException("a password may have at most " + MAX_BYTES + " bytes (bcrypt reads no more)");
        }
        if (password.chars().anyMatch(Character::isISOControl)) {
            throw new IllegalArgumentException("a password must not contain control characters");
        }
        return password;
    }

    /** 24 random bytes, base64url: 32 characters, 192 bits. */
    String randomPassword() {
        byte[] bytes = new byte[24];
        random.nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }
}
