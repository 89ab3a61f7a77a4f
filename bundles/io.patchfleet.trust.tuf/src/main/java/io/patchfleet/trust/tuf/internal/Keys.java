package io.patchfleet.trust.tuf.internal;

import io.patchfleet.trust.api.KeyId;
import io.patchfleet.trust.api.MalformedMetadataException;
import io.patchfleet.trust.api.TrustKey;
import io.patchfleet.model.Sha256;
import java.io.IOException;
import java.math.BigInteger;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import org.bouncycastle.asn1.x9.ECNamedCurveTable;
import org.bouncycastle.asn1.x9.X9ECParameters;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.crypto.CryptoException;
import org.bouncycastle.crypto.Signer;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.params.AsymmetricKeyParameter;
import org.bouncycastle.crypto.params.ECNamedDomainParameters;
import org.bouncycastle.crypto.params.ECPrivateKeyParameters;
import org.bouncycastle.crypto.params.ECPublicKeyParameters;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.bouncycastle.crypto.params.Ed25519PublicKeyParameters;
import org.bouncycastle.crypto.signers.DSADigestSigner;
import org.bouncycastle.crypto.signers.ECDSASigner;
import org.bouncycastle.crypto.signers.Ed25519Signer;
import org.bouncycastle.crypto.signers.HMacDSAKCalculator;
import org.bouncycastle.crypto.util.PublicKeyFactory;
import org.bouncycastle.crypto.util.SubjectPublicKeyInfoFactory;

/**
 * TUF public keys: the supported types, key ids, the JSON form and signature checks, with
 * BouncyCastle's lightweight API (no JCA provider to register, so nothing global changes).
 *
 * <p>Supported: {@code ed25519}/{@code ed25519} (keyval.public = hex of the raw 32 bytes) and
 * {@code ecdsa} or {@code ecdsa-sha2-nistp256} / {@code ecdsa-sha2-nistp256} (keyval.public =
 * PEM SubjectPublicKeyInfo on P-256, signatures DER encoded), as securesystemslib writes them.
 * Keys of other types may be listed in metadata, but their signatures never count.
 */
public final class Keys {
    public static final String ED25519 = "ed25519";
    public static final String ECDSA = "ecdsa";
    public static final String ECDSA_P256 = "ecdsa-sha2-nistp256";

    /**
     * The P-256 curve, built on first use: looking it up loads and computes BouncyCastle's whole
     * named-curve table (~120 classes), which a client verifying only ed25519 signatures never
     * needs; its start-up to the first check-in paid for it (BENCHMARKS.md, client footprint).
     */
    static final class P256 {
        static final X9ECParameters PARAMS = ECNamedCurveTable.getByName("P-256");
        static final ECNamedDomainParameters DOMAIN = new ECNamedDomainParameters(ECNamedCurveTable.getOID("P-256"), PARAMS);

        private P256() {}
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

    /** Whether {@code signature} by {@code key} over {@code message} is valid. Never throws. */
    public static boolean verify(TrustKey key, byte[] message, byte[] signature) {
        if (!isSupported(key)) {
            return false;
        }
        try {
            AsymmetricKeyParameter pub = publicParameters(key);
            Signer s = ED25519.equals(key.scheme()) ? new Ed25519Signer() : new DSADigestSigner(new ECDSASigner(), new SHA256Digest());
            s.init(false, pub);
            s.update(message, 0, message.length);
            return s.verifySignature(signature);
        } catch (RuntimeException e) {
            return false;
        }
    }

    static AsymmetricKeyParameter publicParameters(TrustKey key) {
        if (ED25519.equals(key.scheme())) {
            byte[] raw = parseHex(key.publicKey());
            if (raw.length != Ed25519PublicKeyParameters.KEY_SIZE) {
                throw new IllegalArgumentException("an ed25519 public key is 32 bytes, got " + raw.length);
            }
            return new Ed25519PublicKeyParameters(raw, 0);
        }
        String pem = key.publicKey().strip();
        if (!pem.startsWith("-----BEGIN PUBLIC KEY-----") || !pem.endsWith("-----END PUBLIC KEY-----")) {
            throw new IllegalArgumentException("an ECDSA public key must be a PEM PUBLIC KEY");
        }
        String body = pem.substring(26, pem.length() - 24).replaceAll("\\s", "");
        try {
            SubjectPublicKeyInfo spki = SubjectPublicKeyInfo.getInstance(Base64.getDecoder().decode(body));
            AsymmetricKeyParameter p = PublicKeyFactory.createKey(spki);
            if (!(p instanceof ECPublicKeyParameters ec) || !ec.getParameters().getCurve().equals(P256.PARAMS.getCurve())) {
                throw new IllegalArgumentException("the ECDSA key is not on P-256");
            }
            return p;
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException("unreadable ECDSA public key: " + e.getMessage(), e);
        }
    }

    /** The ed25519 public key of a 32-byte private seed, as TUF hex. */
    public static String ed25519PublicHex(byte[] seed) {
        return HexFormat.of().formatHex(new Ed25519PrivateKeyParameters(seed, 0).generatePublicKey().getEncoded());
    }

    /** The P-256 public key of a private scalar, as a PEM SubjectPublicKeyInfo. */
    public static String ecdsaPublicPem(byte[] scalar) {
        BigInteger d = new BigInteger(1, scalar);
        if (d.signum() <= 0 || d.compareTo(P256.PARAMS.getN()) >= 0) {
            throw new IllegalArgumentException("not a P-256 private key");
        }
        ECPublicKeyParameters pub = new ECPublicKeyParameters(P256.PARAMS.getG().multiply(d).normalize(), P256.DOMAIN);
        try {
            byte[] der = SubjectPublicKeyInfoFactory.createSubjectPublicKeyInfo(pub).getEncoded("DER");
            String b64 = Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der);
            return "-----BEGIN PUBLIC KEY-----\n" + b64 + "\n-----END PUBLIC KEY-----\n";
        } catch (IOException e) {
            throw new IllegalStateException("cannot encode a P-256 public key", e);
        }
    }

    /** Signs {@code message} with a raw private key of {@code scheme}. */
    public static byte[] sign(String scheme, byte[] privateKey, byte[] message) {
        Signer s;
        if (ED25519.equals(scheme)) {
            s = new Ed25519Signer();
            s.init(true, new Ed25519PrivateKeyParameters(privateKey, 0));
        } else if (ECDSA_P256.equals(scheme)) {
            s = new DSADigestSigner(new ECDSASigner(new HMacDSAKCalculator(new SHA256Digest())), new SHA256Digest());
            s.init(true, new ECPrivateKeyParameters(new BigInteger(1, privateKey), P256.DOMAIN));
        } else {
            throw new IllegalArgumentException("unsupported signature scheme " + scheme);
        }
        s.update(message, 0, message.length);
        try {
            return s.generateSignature();
        } catch (CryptoException e) {
            throw new IllegalStateException("signing failed", e);
        }
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
