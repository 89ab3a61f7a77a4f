package io.patchfleet.trust.tuf;

import io.patchfleet.trust.api.SigningKey;
import io.patchfleet.trust.api.TrustException;
import io.patchfleet.trust.api.TrustKey;
import io.patchfleet.trust.tuf.internal.Keys;
import java.math.BigInteger;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Objects;

/**
 * A private key held in memory: Ed25519 (the default) or ECDSA P-256. Created by
 * {@link #generate}, or read from a key file by {@link KeyFiles}. {@link #destroy} wipes the
 * private bytes when the command is done. Thread-safe.
 */
public final class LocalSigningKey implements SigningKey {
    /** The key types this class makes and signs with. */
    public enum Type {
        /** TUF keytype and scheme {@code ed25519}; keyval.public is hex. */
        ED25519(Keys.ED25519, Keys.ED25519),
        /** TUF keytype {@code ecdsa}, scheme {@code ecdsa-sha2-nistp256}; keyval.public is PEM. */
        ECDSA_P256(Keys.ECDSA, Keys.ECDSA_P256);

        final String keyType;
        final String scheme;

        Type(String keyType, String scheme) {
            this.keyType = keyType;
            this.scheme = scheme;
        }
    }

    private final Type type;
    private final byte[] privateKey;
    private final TrustKey publicKey;
    private volatile boolean destroyed;

    private LocalSigningKey(Type type, byte[] privateKey, TrustKey publicKey) {
        this.type = type;
        this.privateKey = privateKey;
        this.publicKey = publicKey;
    }

    /** A new random key. */
    public static LocalSigningKey generate(Type type) {
        Objects.requireNonNull(type, "type");
        SecureRandom random = new SecureRandom();
        byte[] raw = new byte[32];
        if (type == Type.ED25519) {
            random.nextBytes(raw);
        } else {
            BigInteger n = new BigInteger("ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551", 16);
            BigInteger d;
            do {
                random.nextBytes(raw);
                d = new BigInteger(1, raw);
            } while (d.signum() == 0 || d.compareTo(n) >= 0);
        }
        return fromPrivate(type, raw);
    }

    /**
     * The key of raw private bytes: the 32-byte Ed25519 seed, or the 32-byte big-endian
     * P-256 scalar. The bytes are copied.
     *
     * @throws IllegalArgumentException if they are not a valid key of {@code type}
     */
    public static LocalSigningKey fromPrivate(Type type, byte[] privateKey) {
        Objects.requireNonNull(type, "type");
        if (privateKey.length != 32) {
            throw new IllegalArgumentException("a private key is 32 bytes, got " + privateKey.length);
        }
        byte[] copy = privateKey.clone();
        String pub = type == Type.ED25519 ? Keys.ed25519PublicHex(copy) : Keys.ecdsaPublicPem(copy);
        return new LocalSigningKey(type, copy, Keys.key(type.keyType, type.scheme, pub));
    }

    /** The key type. */
    public Type type() {
        return type;
    }

    @Override
    public TrustKey publicKey() {
        return publicKey;
    }

    @Override
    public byte[] sign(byte[] message) throws TrustException {
        if (destroyed) {
            throw new TrustException(TrustException.Reason.SIGNING_FAILED, "key " + publicKey.id() + " was destroyed");
        }
        return Keys.sign(type.scheme, privateKey, message);
    }

    /** A copy of the raw private bytes, for writing a key file. */
    byte[] privateBytes() {
        return privateKey.clone();
    }

    /** Overwrites the private bytes; the key cannot sign afterwards. */
    public void destroy() {
        destroyed = true;
        Arrays.fill(privateKey, (byte) 0);
    }
}
