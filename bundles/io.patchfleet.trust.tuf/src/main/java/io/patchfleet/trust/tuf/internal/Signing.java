package io.patchfleet.trust.tuf.internal;

import io.patchfleet.trust.api.TrustKey;
import java.io.IOException;
import java.math.BigInteger;
import java.util.Base64;
import java.util.HexFormat;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x9.ECNamedCurveTable;
import org.bouncycastle.asn1.x9.X9ECParameters;
import org.bouncycastle.crypto.CryptoException;
import org.bouncycastle.crypto.Signer;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.params.ECNamedDomainParameters;
import org.bouncycastle.crypto.params.ECPrivateKeyParameters;
import org.bouncycastle.crypto.params.ECPublicKeyParameters;
import org.bouncycastle.crypto.params.AsymmetricKeyParameter;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.bouncycastle.crypto.params.Ed25519PublicKeyParameters;
import org.bouncycastle.crypto.signers.DSADigestSigner;
import org.bouncycastle.crypto.signers.ECDSASigner;
import org.bouncycastle.crypto.signers.Ed25519Signer;
import org.bouncycastle.crypto.signers.HMacDSAKCalculator;
import org.bouncycastle.crypto.util.PublicKeyFactory;
import org.bouncycastle.crypto.util.SubjectPublicKeyInfoFactory;

/**
 * Signing and public keys of private keys, with BouncyCastle's lightweight API (no JCA provider
 * to register, so nothing global changes): deterministic ECDSA (RFC 6979) and an Ed25519 public
 * key from its seed, which the JDK does not offer; and verification where BouncyCastle is wired
 * (its Ed25519 is several times faster than the JDK 17 one, {@link Keys#BOUNCY_CASTLE_VERIFIES}).
 * The client profile runs without BouncyCastle and verifies with the JDK: this bundle imports
 * {@code org.bouncycastle.*} optionally ({@code bnd.bnd}), and signing in a profile without it
 * fails here with {@link IllegalStateException}. Nothing may link this class where BouncyCastle is
 * missing unless it is to sign ({@link Keys#bouncyCastleAvailable} is asked elsewhere).
 */
final class Signing {

    /**
     * The P-256 curve, built on first use: looking it up loads and computes BouncyCastle's whole
     * named-curve table (~120 classes), which an ed25519 signer never needs.
     */
    static final class P256 {
        static final X9ECParameters PARAMS = ECNamedCurveTable.getByName("P-256");
        static final ECNamedDomainParameters DOMAIN = new ECNamedDomainParameters(ECNamedCurveTable.getOID("P-256"), PARAMS);

        private P256() {}
    }

    private Signing() {}

    /** Signature check with BouncyCastle's lightweight API; same answers as {@link Keys#verifyWithJdk}. Never throws. */
    static boolean verify(TrustKey key, byte[] message, byte[] signature) {
        try {
            AsymmetricKeyParameter pub;
            Signer s;
            if (Keys.ED25519.equals(key.scheme())) {
                byte[] raw = Keys.parseHex(key.publicKey());
                if (raw.length != Ed25519PublicKeyParameters.KEY_SIZE) {
                    return false;
                }
                pub = new Ed25519PublicKeyParameters(raw, 0);
                s = new Ed25519Signer();
            } else {
                // the key's checks (P-256, on the curve, compressed points) are the JDK path's
                Keys.publicParameters(key);
                String pem = key.publicKey().strip();
                byte[] der = Base64.getDecoder().decode(pem.substring(26, pem.length() - 24).replaceAll("\\s", ""));
                pub = PublicKeyFactory.createKey(SubjectPublicKeyInfo.getInstance(der));
                s = new DSADigestSigner(new ECDSASigner(), new SHA256Digest());
            }
            s.init(false, pub);
            s.update(message, 0, message.length);
            return s.verifySignature(signature);
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    static String ed25519PublicHex(byte[] seed) {
        try {
            return HexFormat.of().formatHex(new Ed25519PrivateKeyParameters(seed, 0).generatePublicKey().getEncoded());
        } catch (NoClassDefFoundError e) {
            throw missing(e);
        }
    }

    static String ecdsaPublicPem(byte[] scalar) {
        try {
            BigInteger d = new BigInteger(1, scalar);
            if (d.signum() <= 0 || d.compareTo(P256.PARAMS.getN()) >= 0) {
                throw new IllegalArgumentException("not a P-256 private key");
            }
            ECPublicKeyParameters pub = new ECPublicKeyParameters(P256.PARAMS.getG().multiply(d).normalize(), P256.DOMAIN);
            byte[] der = SubjectPublicKeyInfoFactory.createSubjectPublicKeyInfo(pub).getEncoded("DER");
            String b64 = Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der);
            return "-----BEGIN PUBLIC KEY-----\n" + b64 + "\n-----END PUBLIC KEY-----\n";
        } catch (IOException e) {
            throw new IllegalStateException("cannot encode a P-256 public key", e);
        } catch (NoClassDefFoundError e) {
            throw missing(e);
        }
    }

    static byte[] sign(String scheme, byte[] privateKey, byte[] message) {
        try {
            Signer s;
            if (Keys.ED25519.equals(scheme)) {
                s = new Ed25519Signer();
                s.init(true, new Ed25519PrivateKeyParameters(privateKey, 0));
            } else if (Keys.ECDSA_P256.equals(scheme)) {
                s = new DSADigestSigner(new ECDSASigner(new HMacDSAKCalculator(new SHA256Digest())), new SHA256Digest());
                s.init(true, new ECPrivateKeyParameters(new BigInteger(1, privateKey), P256.DOMAIN));
            } else {
                throw new IllegalArgumentException("unsupported signature scheme " + scheme);
            }
            s.update(message, 0, message.length);
            return s.generateSignature();
        } catch (CryptoException e) {
            throw new IllegalStateException("signing failed", e);
        } catch (NoClassDefFoundError e) {
            throw missing(e);
        }
    }

    private static IllegalStateException missing(NoClassDefFoundError e) {
        return new IllegalStateException("signing needs BouncyCastle (bcprov), which this runtime does not include: "
                + e.getMessage(), e);
    }
}
