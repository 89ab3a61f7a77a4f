package io.patchfleet.trust.tuf.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.patchfleet.trust.api.MalformedMetadataException;
import io.patchfleet.trust.api.TrustKey;
import io.patchfleet.trust.tuf.LocalSigningKey;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.EdECPrivateKeySpec;
import java.security.spec.NamedParameterSpec;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.crypto.Signer;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.params.ECPublicKeyParameters;
import org.bouncycastle.crypto.params.Ed25519PublicKeyParameters;
import org.bouncycastle.crypto.signers.DSADigestSigner;
import org.bouncycastle.crypto.signers.ECDSASigner;
import org.bouncycastle.crypto.signers.Ed25519Signer;
import org.bouncycastle.crypto.util.PublicKeyFactory;
import org.junit.jupiter.api.Test;

/**
 * Signatures are verified with the JDK (the client, which runs without BouncyCastle) or with
 * BouncyCastle (where it is wired: the server, the command line), and made with BouncyCastle
 * ({@link Signing}) or anything else: each verifier must accept what the other side makes, both
 * must give the same answer, and both must refuse a changed bit. BouncyCastle's lightweight API
 * used directly is the reference verifier here (it verified every signature before the JDK did).
 */
class KeysInteropTest {
    /** The order of Ed25519's base point (RFC 8032, L). */
    static final BigInteger ED25519_L = BigInteger.TWO.pow(252).add(new BigInteger("27742317777372353535851937790883648493"));

    static final byte[] MESSAGE = "{\"signed\":{\"_type\":\"root\",\"version\":7}}".getBytes(StandardCharsets.UTF_8);

    // --- BouncyCastle as the reference verifier

    @Test
    void theVerifierIsChosenByWhatIsAvailable() {
        assertTrue(Keys.chooseBouncyCastle(""), "BouncyCastle is on this test's class path");
        assertFalse(Keys.chooseBouncyCastle("jdk"));
        assertTrue(Keys.chooseBouncyCastle("bouncycastle"));
    }

    static boolean bcVerifyEd25519(String publicHex, byte[] message, byte[] sig) {
        Ed25519Signer s = new Ed25519Signer();
        s.init(false, new Ed25519PublicKeyParameters(HexFormat.of().parseHex(publicHex), 0));
        s.update(message, 0, message.length);
        return s.verifySignature(sig);
    }

    static boolean bcVerifyEcdsa(String pem, byte[] message, byte[] sig) throws Exception {
        String body = pem.strip().replace("-----BEGIN PUBLIC KEY-----", "").replace("-----END PUBLIC KEY-----", "").replaceAll("\\s", "");
        ECPublicKeyParameters pub = (ECPublicKeyParameters) PublicKeyFactory.createKey(
                SubjectPublicKeyInfo.getInstance(Base64.getDecoder().decode(body)));
        Signer s = new DSADigestSigner(new ECDSASigner(), new SHA256Digest());
        s.init(false, pub);
        s.update(message, 0, message.length);
        return s.verifySignature(sig);
    }

    /** The JDK's answer ({@link Keys#verifyWithJdk}, the client's), checked to be BouncyCastle's too ({@link Signing#verify}, the server's). */
    static boolean verifyBoth(TrustKey key, byte[] message, byte[] sig) {
        boolean jdk = Keys.verifyWithJdk(key, message, sig);
        org.junit.jupiter.api.Assertions.assertEquals(jdk, Signing.verify(key, message, sig), "BouncyCastle's answer differs from the JDK's");
        return jdk;
    }

    static byte[] flipped(byte[] sig, int bit) {
        byte[] b = sig.clone();
        b[bit / 8] ^= (byte) (1 << (bit % 8));
        return b;
    }

    static String pem(byte[] der) {
        return "-----BEGIN PUBLIC KEY-----\n" + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
                + "\n-----END PUBLIC KEY-----\n";
    }

    @Test
    void ed25519SignedByBouncyCastleVerifiesWithTheJdkAndAFlippedBitIsRefused() throws Exception {
        LocalSigningKey k = LocalSigningKey.generate(LocalSigningKey.Type.ED25519);
        byte[] sig = k.sign(MESSAGE);
        TrustKey pub = k.publicKey();
        assertTrue(bcVerifyEd25519(pub.publicKey(), MESSAGE, sig), "reference");
        assertTrue(verifyBoth(pub, MESSAGE, sig), "JDK");
        for (int bit : new int[] {0, 7, 100, 255, 256, 300, 511}) {
            assertFalse(verifyBoth(pub, MESSAGE, flipped(sig, bit)), "JDK, bit " + bit + " of the signature");
            assertFalse(bcVerifyEd25519(pub.publicKey(), MESSAGE, flipped(sig, bit)), "reference, bit " + bit);
        }
        assertFalse(verifyBoth(pub, flipped(MESSAGE, 9), sig), "a flipped bit of the message");
        assertFalse(verifyBoth(pub, MESSAGE, Arrays.copyOf(sig, 63)), "a short signature");
        assertFalse(verifyBoth(pub, MESSAGE, Arrays.copyOf(sig, 65)), "a long signature");
        assertFalse(verifyBoth(pub, MESSAGE, new byte[64]), "zeros");
    }

    @Test
    void ed25519SignedByTheJdkVerifiesWithBouncyCastleAndBothSignIdentically() throws Exception {
        byte[] seed = HexFormat.of().parseHex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
        PrivateKey jdkKey = KeyFactory.getInstance("Ed25519").generatePrivate(new EdECPrivateKeySpec(NamedParameterSpec.ED25519, seed));
        Signature s = Signature.getInstance("Ed25519");
        s.initSign(jdkKey);
        s.update(MESSAGE);
        byte[] jdkSig = s.sign();

        LocalSigningKey bc = LocalSigningKey.fromPrivate(LocalSigningKey.Type.ED25519, seed);
        // RFC 8032 test 1: the public key of this seed
        assertTrue(bc.publicKey().publicKey().equals("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"));
        assertTrue(bcVerifyEd25519(bc.publicKey().publicKey(), MESSAGE, jdkSig), "reference accepts the JDK's signature");
        assertTrue(verifyBoth(bc.publicKey(), MESSAGE, jdkSig), "JDK accepts its own signature");
        // Ed25519 is deterministic: the same seed and message give the same bytes in both
        assertArrayEquals(bc.sign(MESSAGE), jdkSig);
        assertFalse(bcVerifyEd25519(bc.publicKey().publicKey(), MESSAGE, flipped(jdkSig, 42)));
        assertFalse(verifyBoth(bc.publicKey(), MESSAGE, flipped(jdkSig, 42)));
    }

    @Test
    void ed25519WithANonCanonicalScalarIsRefusedAsBouncyCastleRefusesIt() throws Exception {
        LocalSigningKey k = LocalSigningKey.generate(LocalSigningKey.Type.ED25519);
        byte[] sig = k.sign(MESSAGE);
        // S + L verifies with an implementation that does not check S < L (signature malleability)
        byte[] le = Arrays.copyOfRange(sig, 32, 64);
        byte[] be = reverse(le);
        BigInteger sPlusL = new BigInteger(1, be).add(ED25519_L);
        byte[] malleable = sig.clone();
        byte[] beNew = sPlusL.toByteArray();
        byte[] be32 = new byte[32];
        System.arraycopy(beNew, Math.max(0, beNew.length - 32), be32, 32 - Math.min(32, beNew.length), Math.min(32, beNew.length));
        System.arraycopy(reverse(be32), 0, malleable, 32, 32);
        assertFalse(bcVerifyEd25519(k.publicKey().publicKey(), MESSAGE, malleable), "reference");
        assertFalse(verifyBoth(k.publicKey(), MESSAGE, malleable), "JDK");
    }

    @Test
    void ecdsaSignedByBouncyCastleVerifiesWithTheJdkAndAFlippedBitIsRefused() throws Exception {
        LocalSigningKey k = LocalSigningKey.generate(LocalSigningKey.Type.ECDSA_P256);
        byte[] sig = k.sign(MESSAGE);
        TrustKey pub = k.publicKey();
        assertTrue(bcVerifyEcdsa(pub.publicKey(), MESSAGE, sig), "reference");
        assertTrue(verifyBoth(pub, MESSAGE, sig), "JDK");
        for (int bit = 0; bit < sig.length * 8; bit += 37) {
            assertFalse(verifyBoth(pub, MESSAGE, flipped(sig, bit)), "JDK, bit " + bit + " of the signature");
        }
        assertFalse(verifyBoth(pub, flipped(MESSAGE, 3), sig), "a flipped bit of the message");
        assertFalse(verifyBoth(LocalSigningKey.generate(LocalSigningKey.Type.ECDSA_P256).publicKey(), MESSAGE, sig), "another key");
    }

    @Test
    void ecdsaSignedByTheJdkVerifiesWithBouncyCastle() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        KeyPair kp = g.generateKeyPair();
        Signature s = Signature.getInstance("SHA256withECDSA");
        s.initSign(kp.getPrivate());
        s.update(MESSAGE);
        byte[] sig = s.sign();
        TrustKey pub = Keys.key(Keys.ECDSA, Keys.ECDSA_P256, pem(kp.getPublic().getEncoded()));
        assertTrue(bcVerifyEcdsa(pub.publicKey(), MESSAGE, sig), "reference");
        assertTrue(verifyBoth(pub, MESSAGE, sig), "JDK");
        assertFalse(bcVerifyEcdsa(pub.publicKey(), MESSAGE, flipped(sig, 200)));
        assertFalse(verifyBoth(pub, MESSAGE, flipped(sig, 200)));
    }

    @Test
    void ecdsaKeyWithACompressedPointIsReadAsBouncyCastleReadsIt() throws Exception {
        LocalSigningKey k = LocalSigningKey.generate(LocalSigningKey.Type.ECDSA_P256);
        byte[] sig = k.sign(MESSAGE);
        String body = k.publicKey().publicKey().strip().replace("-----BEGIN PUBLIC KEY-----", "")
                .replace("-----END PUBLIC KEY-----", "").replaceAll("\\s", "");
        byte[] der = Base64.getDecoder().decode(body);
        byte[] x = Arrays.copyOfRange(der, der.length - 64, der.length - 32);
        byte[] y = Arrays.copyOfRange(der, der.length - 32, der.length);
        byte[] compressed = new byte[26 + 33];
        System.arraycopy(HexFormat.of().parseHex("3039301306072a8648ce3d020106082a8648ce3d030107032200"), 0, compressed, 0, 26);
        compressed[26] = (byte) ((y[31] & 1) == 1 ? 3 : 2);
        System.arraycopy(x, 0, compressed, 27, 32);
        TrustKey c = Keys.key(Keys.ECDSA, Keys.ECDSA_P256, pem(compressed));
        assertTrue(bcVerifyEcdsa(c.publicKey(), MESSAGE, sig), "reference");
        assertTrue(verifyBoth(c, MESSAGE, sig), "JDK");
        compressed[26] ^= 1; // the other y: another key
        TrustKey other = Keys.key(Keys.ECDSA, Keys.ECDSA_P256, pem(compressed));
        assertFalse(verifyBoth(other, MESSAGE, sig));
    }

    @Test
    void ecdsaKeyOffTheCurveOrOnAnotherCurveIsNoKey() throws Exception {
        LocalSigningKey k = LocalSigningKey.generate(LocalSigningKey.Type.ECDSA_P256);
        String body = k.publicKey().publicKey().strip().replace("-----BEGIN PUBLIC KEY-----", "")
                .replace("-----END PUBLIC KEY-----", "").replaceAll("\\s", "");
        byte[] der = Base64.getDecoder().decode(body);
        der[der.length - 1] ^= 1; // y changed: the point leaves the curve
        TrustKey offCurve = Keys.key(Keys.ECDSA, Keys.ECDSA_P256, pem(der));
        assertThrows(IllegalArgumentException.class, () -> Keys.publicParameters(offCurve));
        assertFalse(verifyBoth(offCurve, MESSAGE, k.sign(MESSAGE)));

        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp384r1"));
        TrustKey p384 = Keys.key(Keys.ECDSA, Keys.ECDSA_P256, pem(g.generateKeyPair().getPublic().getEncoded()));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Keys.publicParameters(p384));
        assertTrue(e.getMessage().contains("not on P-256"), e.getMessage());

        // and metadata listing such a key is malformed, as before
        Fields f = new Fields("root.json", "keys", Keys.toJson(offCurve));
        assertThrows(MalformedMetadataException.class, () -> Keys.parse(f, offCurve.id().hex()));
    }

    @Test
    void ed25519KeyOfTheWrongLengthIsNoKey() {
        TrustKey shortKey = Keys.key(Keys.ED25519, Keys.ED25519, "ab".repeat(31));
        assertThrows(IllegalArgumentException.class, () -> Keys.publicParameters(shortKey));
        Fields f = new Fields("root.json", "keys", Keys.toJson(shortKey));
        assertThrows(MalformedMetadataException.class, () -> Keys.parse(f, shortKey.id().hex()));
        assertFalse(verifyBoth(shortKey, MESSAGE, new byte[64]));
    }

    static byte[] reverse(byte[] b) {
        byte[] r = new byte[b.length];
        for (int i = 0; i < b.length; i++) {
            r[i] = b[b.length - 1 - i];
        }
        return r;
    }
}
