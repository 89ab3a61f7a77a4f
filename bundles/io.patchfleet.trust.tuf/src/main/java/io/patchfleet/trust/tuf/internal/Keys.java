package io.patchfleet.trust.tuf.internal;

import io.patchfleet.trust.api.KeyId;
import io.patchfleet.trust.api.MalformedMetadataException;
import io.patchfleet.trust.api.TrustKey;
import io.patchfleet.model.Sha256;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.Signature;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECField;
import java.security.spec.ECFieldFp;
import java.security.spec.ECParameterSpec;
import java.security.spec.ECPoint;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * TUF public keys: the supported types, key ids, the JSON form and signature checks, with the
 * JDK's own providers (SunEC: {@code Ed25519} since Java 15, {@code SHA256withECDSA}).
 *
 * <p>Supported: {@code ed25519}/{@code ed25519} (keyval.public = hex of the raw 32 bytes) and
 * {@code ecdsa} or {@code ecdsa-sha2-nistp256} / {@code ecdsa-sha2-nistp256} (keyval.public =
 * PEM SubjectPublicKeyInfo on P-256, signatures DER encoded), as securesystemslib writes them.
 * Keys of other types may be listed in metadata, but their signatures never count.
 *
 * <p>Why the JDK and not BouncyCastle here: verification is all a client does with keys, and the
 * JDK has done both schemes since Java 15, so the client profile runs without bcprov (an 8 MB
 * jar whose central directory Felix keeps in the heap, and its classes; BENCHMARKS.md, client
 * footprint). Signing (the publisher, the server's directive key, key files) stays with
 * BouncyCastle in {@link Signing}: RFC 6979 deterministic ECDSA and deriving an Ed25519 public key
 * from its seed are not in the JDK; where BouncyCastle is there, it also verifies
 * ({@link #BOUNCY_CASTLE_VERIFIES}). {@code KeysInteropTest} checks that signatures made by one
 * verify with the other. Differences from BouncyCastle's parsing, both on purpose: an ECDSA key
 * must name its curve (explicit curve parameters are refused, as the JDK refuses them; no TUF
 * tool writes them), and a compressed point is expanded here, since the JDK reads only
 * uncompressed ones.
 */
public final class Keys {
    public static final String ED25519 = "ed25519";
    public static final String ECDSA = "ecdsa";
    public static final String ECDSA_P256 = "ecdsa-sha2-nistp256";

    /** DER SubjectPublicKeyInfo of an Ed25519 key (RFC 8410) up to the 32 key bytes. */
    private static final byte[] ED25519_SPKI_PREFIX = HexFormat.of().parseHex("302a300506032b6570032100");
    /** DER SubjectPublicKeyInfo of a P-256 key with a compressed point, up to the point. */
    private static final byte[] P256_COMPRESSED_SPKI_PREFIX =
            HexFormat.of().parseHex("3039301306072a8648ce3d020106082a8648ce3d030107032200");
    /** The same with an uncompressed point (04 || x || y). */
    private static final byte[] P256_SPKI_PREFIX =
            HexFormat.of().parseHex("3059301306072a8648ce3d020106082a8648ce3d030107034200");

    /** P-256 (FIPS 186-4, D.1.2.3): y² = x³ − 3x + b over GF(p). */
    static final class P256 {
        static final BigInteger P = new BigInteger("ffffffff00000001000000000000000000000000ffffffffffffffffffffffff", 16);
        static final BigInteger B = new BigInteger("5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604b", 16);
        static final BigInteger N = new BigInteger("ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551", 16);
        static final BigInteger A = P.subtract(BigInteger.valueOf(3));

        private P256() {}

        static BigInteger rhs(BigInteger x) {
            return x.pow(3).add(A.multiply(x)).add(B).mod(P);
        }

        static boolean isOnCurve(BigInteger x, BigInteger y) {
            return x.signum() >= 0 && x.compareTo(P) < 0 && y.signum() >= 0 && y.compareTo(P) < 0
                    && y.pow(2).mod(P).equals(rhs(x));
        }

        static boolean isCurve(ECParameterSpec spec) {
            ECField field = spec.getCurve().getField();
            return field instanceof ECFieldFp fp && fp.getP().equals(P)
                    && spec.getCurve().getA().equals(A) && spec.getCurve().getB().equals(B)
                    && spec.getOrder().equals(N) && spec.getCofactor() == 1;
        }
    }

    private Keys() {}

    /** The TUF JSON object of a key: {@code {"keytype", "scheme", "keyval": {"public"}}}. */
    public static Map<String, Object> toJson(TrustKey key) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("keytype", key.keyType());
        m.put("scheme", key.scheme());
        m.put("keyval", Map.of("public", key.publicKey()));
        return m;
    }

    /** The key id of a key object: SHA-256 hex of its canonical JSON. */
    public static KeyId keyId(Map<String, Object> keyObject) {
        return new KeyId(Sha256.digestOf(CanonicalJson.encode(keyObject)).hex());
    }

    /** A key with its id computed from its fields. */
    public static TrustKey key(String keyType, String scheme, String publicValue) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("keytype", keyType);
        m.put("scheme", scheme);
        m.put("keyval", Map.of("public", publicValue));
        return new TrustKey(keyId(m), keyType, scheme, publicValue);
    }

    /**
     * Reads a key object listed under {@code claimedId}. The id must be the hash of the object
     * exactly as listed (extra fields such as securesystemslib's {@code keyid_hash_algorithms}
     * included): one key can then never appear under two ids to count twice (TUF attack 2).
     */
    static TrustKey parse(Fields key, String claimedId) throws MalformedMetadataException {
        String type = key.string("keytype");
        String scheme = key.string("scheme");
        String value = key.object("keyval").string("public");
        KeyId computed = keyId(key.map);
        if (!computed.hex().equals(claimedId)) {
            throw key.error("key id " + Json.printable(claimedId) + " is not the SHA-256 of the key (" + computed + ")");
        }
        try {
            TrustKey k = new TrustKey(computed, type, scheme, value);
            if (isSupported(k)) {
                publicParameters(k);
            }
            return k;
        } catch (IllegalArgumentException e) {
            throw key.error("invalid key: " + e.getMessage());
        }
    }

    static boolean isSupported(TrustKey k) {
        return (ED25519.equals(k.keyType()) && ED25519.equals(k.scheme()))
                || ((ECDSA.equals(k.keyType()) || ECDSA_P256.equals(k.keyType())) && ECDSA_P256.equals(k.scheme()));
    }

    /**
     * Who checks signatures: BouncyCastle where this bundle is wired to it (the server profile,
     * the command line), else the JDK (the client profile, which runs without bcprov). Both give
     * the same answers ({@code KeysInteropTest}; the attack and workflow suites run against each,
     * see this bundle's pom.xml); BouncyCastle's Ed25519 is several times faster than the JDK 17
     * one, which a server mirroring hundreds of roles notices and a client checking five does not.
     * The system property {@code patchfleet.trust.verifier} ({@code jdk} or {@code bouncycastle})
     * forces one, for those tests.
     */
    static final boolean BOUNCY_CASTLE_VERIFIES = chooseBouncyCastle(System.getProperty("patchfleet.trust.verifier", ""));

    static boolean chooseBouncyCastle(String forced) {
        if ("jdk".equals(forced)) {
            return false;
        }
        boolean available = bouncyCastleAvailable();
        if ("bouncycastle".equals(forced) && !available) {
            throw new IllegalStateException("patchfleet.trust.verifier=bouncycastle, but BouncyCastle is not available");
        }
        return available;
    }

    /**
     * Whether BouncyCastle's classes can be loaded here (the optional import is wired, or it is on
     * the class path). Asked here, not in {@link Signing}: linking Signing loads BouncyCastle's
     * classes (the verifier checks its method bodies), which fails where there are none.
     */
    static boolean bouncyCastleAvailable() {
        try {
            Class.forName("org.bouncycastle.crypto.signers.Ed25519Signer", false, Keys.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }

    /** Whether {@code signature} by {@code key} over {@code message} is valid. Never throws. */
    public static boolean verify(TrustKey key, byte[] message, byte[] signature) {
        if (!isSupported(key) || signature == null) {
            return false;
        }
        return BOUNCY_CASTLE_VERIFIES ? Signing.verify(key, message, signature) : verifyWithJdk(key, message, signature);
    }

    /** {@link #verify} with the JDK's providers. */
    static boolean verifyWithJdk(TrustKey key, byte[] message, byte[] signature) {
        if (!isSupported(key) || signature == null) {
            return false;
        }
        try {
            boolean ed = ED25519.equals(key.scheme());
            if (ed && signature.length != 64) {
                return false;
            }
            Signature s = Signature.getInstance(ed ? "Ed25519" : "SHA256withECDSA");
            s.initVerify(publicParameters(key));
            s.update(message);
            return s.verify(signature);
        } catch (GeneralSecurityException | RuntimeException e) {
            return false;
        }
    }

    /**
     * The JDK public key of a supported TUF key.
     *
     * @throws IllegalArgumentException if the key's value is not a valid key of its scheme
     */
    static PublicKey publicParameters(TrustKey key) {
        if (ED25519.equals(key.scheme())) {
            byte[] raw = parseHex(key.publicKey());
            if (raw.length != 32) {
                throw new IllegalArgumentException("an ed25519 public key is 32 bytes, got " + raw.length);
            }
            byte[] spki = Arrays.copyOf(ED25519_SPKI_PREFIX, ED25519_SPKI_PREFIX.length + 32);
            System.arraycopy(raw, 0, spki, ED25519_SPKI_PREFIX.length, 32);
            try {
                return KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(spki));
            } catch (GeneralSecurityException | RuntimeException e) {
                throw new IllegalArgumentException("unreadable ed25519 public key: " + e.getMessage(), e);
            }
        }
        String pem = key.publicKey().strip();
        if (!pem.startsWith("-----BEGIN PUBLIC KEY-----") || !pem.endsWith("-----END PUBLIC KEY-----")) {
            throw new IllegalArgumentException("an ECDSA public key must be a PEM PUBLIC KEY");
        }
        String body = pem.substring(26, pem.length() - 24).replaceAll("\\s", "");
        PublicKey k;
        try {
            byte[] der = uncompressed(Base64.getDecoder().decode(body));
            k = KeyFactory.getInstance("EC").generatePublic(new X509EncodedKeySpec(der));
        } catch (GeneralSecurityException | RuntimeException e) {
            throw new IllegalArgumentException("unreadable ECDSA public key: " + e.getMessage(), e);
        }
        if (!(k instanceof ECPublicKey ec) || !P256.isCurve(ec.getParams())) {
            throw new IllegalArgumentException("the ECDSA key is not on P-256");
        }
        // The JDK's key factory takes any coordinates; a point off the curve is no key.
        ECPoint w = ec.getW();
        if (w.equals(ECPoint.POINT_INFINITY) || !P256.isOnCurve(w.getAffineX(), w.getAffineY())) {
            throw new IllegalArgumentException("unreadable ECDSA public key: the point is not on P-256");
        }
        return k;
    }

    /**
     * A P-256 SubjectPublicKeyInfo with a compressed point (02/03 || x) rewritten with the
     * uncompressed point, which is all the JDK reads; any other encoding unchanged.
     */
    private static byte[] uncompressed(byte[] der) {
        int n = P256_COMPRESSED_SPKI_PREFIX.length;
        if (der.length != n + 33 || !Arrays.equals(der, 0, n, P256_COMPRESSED_SPKI_PREFIX, 0, n)
                || (der[n] != 2 && der[n] != 3)) {
            return der;
        }
        BigInteger x = new BigInteger(1, Arrays.copyOfRange(der, n + 1, n + 33));
        if (x.compareTo(P256.P) >= 0) {
            throw new IllegalArgumentException("the point is not on P-256");
        }
        // p ≡ 3 (mod 4): the square root of a square r is r^((p+1)/4)
        BigInteger y = P256.rhs(x).modPow(P256.P.add(BigInteger.ONE).shiftRight(2), P256.P);
        if (!P256.isOnCurve(x, y)) {
            throw new IllegalArgumentException("the point is not on P-256");
        }
        if (y.testBit(0) != (der[n] == 3)) {
            y = P256.P.subtract(y);
        }
        byte[] out = Arrays.copyOf(P256_SPKI_PREFIX, P256_SPKI_PREFIX.length + 65);
        out[P256_SPKI_PREFIX.length] = 4;
        put32(x, out, P256_SPKI_PREFIX.length + 1);
        put32(y, out, P256_SPKI_PREFIX.length + 33);
        return out;
    }

    private static void put32(BigInteger v, byte[] out, int at) {
        byte[] b = v.toByteArray();
        int len = Math.min(b.length, 32);
        System.arraycopy(b, b.length - len, out, at + 32 - len, len);
    }

    /** The ed25519 public key of a 32-byte private seed, as TUF hex (BouncyCastle). */
    public static String ed25519PublicHex(byte[] seed) {
        return Signing.ed25519PublicHex(seed);
    }

    /** The P-256 public key of a private scalar, as a PEM SubjectPublicKeyInfo (BouncyCastle). */
    public static String ecdsaPublicPem(byte[] scalar) {
        return Signing.ecdsaPublicPem(scalar);
    }

    /** Signs {@code message} with a raw private key of {@code scheme} (BouncyCastle). */
    public static byte[] sign(String scheme, byte[] privateKey, byte[] message) {
        return Signing.sign(scheme, privateKey, message);
    }

    /** Hex already checked by {@link Fields#hex}. */
    static byte[] parseHexOrNull(String hex) {
        return HexFormat.of().parseHex(hex);
    }

    static byte[] parseHex(String hex) {
        if (hex.length() % 2 != 0 || !hex.matches("[0-9a-f]*")) {
            throw new IllegalArgumentException("not lower-case hex");
        }
        return HexFormat.of().parseHex(hex);
    }
}
