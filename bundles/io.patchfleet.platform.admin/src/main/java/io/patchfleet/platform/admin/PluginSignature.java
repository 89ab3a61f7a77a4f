package io.patchfleet.platform.admin;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The detached signature of a plugin jar: Ed25519 over the jar's SHA-256, with the id of the
 * key that signed. Kept beside the jar as {@code NAME.jar.sig}, a few {@code key: value} lines:
 *
 * <pre>
 * format: patchfleet-plugin-signature-1
 * key: 3f1c…   (SHA-256 of the public key's X.509 encoding, hex)
 * sha256: 9a0b… (SHA-256 of the jar, hex)
 * signature: base64 Ed25519 signature
 * </pre>
 *
 * <p>The signed message is {@code "patchfleet-plugin-signature-1\n" + sha256 hex}: the prefix
 * separates plugin signatures from every other use of Ed25519 keys (a TUF signature over JSON
 * can never pass as a plugin signature), and the hash covers every byte of the jar — unlike jar
 * signing, where entries added to a signed jar are merely "unsigned" and must be hunted for.
 * Keys are PEM: the public key as X.509 SubjectPublicKeyInfo, the private one as PKCS#8, both
 * readable by OpenSSL ({@code openssl pkey}). The JDK's own Ed25519 does the cryptography.
 */
public final class PluginSignature {
    public static final String FORMAT = "patchfleet-plugin-signature-1";

    private final String keyId;
    private final String sha256;
    private final byte[] signature;

    private PluginSignature(String keyId, String sha256, byte[] signature) {
        this.keyId = keyId;
        this.sha256 = sha256;
        this.signature = signature.clone();
    }

    public String keyId() {
        return keyId;
    }

    /** SHA-256 of the signed jar, hex. */
    public String sha256() {
        return sha256;
    }

    /** Signs {@code jar} with {@code key}; {@code publicKey} names the key in the signature. */
    public static PluginSignature sign(byte[] jar, PrivateKey key, PublicKey publicKey) throws GeneralSecurityException {
        String digest = sha256Hex(jar);
        Signature s = Signature.getInstance("Ed25519");
        s.initSign(key);
        s.update(message(digest));
        return new PluginSignature(keyId(publicKey), digest, s.sign());
    }

    /**
     * True when {@code jar} is exactly the signed jar and the signature verifies with {@code key}.
     * Never throws for bad input: a signature that cannot be checked does not verify.
     */
    public boolean verifies(byte[] jar, PublicKey key) {
        try {
            if (!MessageDigest.isEqual(sha256.getBytes(StandardCharsets.US_ASCII), sha256Hex(jar).getBytes(StandardCharsets.US_ASCII))) {
                return false;
            }
            Signature s = Signature.getInstance("Ed25519");
            s.initVerify(key);
            s.update(message(sha256));
            return s.verify(signature);
        } catch (GeneralSecurityException | RuntimeException e) {
            return false;
        }
    }

    /** The text of a {@code .sig} file. */
    public byte[] toBytes() {
        return ("format: " + FORMAT + "\nkey: " + keyId + "\nsha256: " + sha256 + "\nsignature: "
                + Base64.getEncoder().encodeToString(signature) + "\n").getBytes(StandardCharsets.UTF_8);
    }

    /**
     * Reads a {@code .sig} file.
     *
     * @throws IllegalArgumentException saying what is wrong when it is not one
     */
    public static PluginSignature parse(byte[] text) {
        Objects.requireNonNull(text, "signature");
        if (text.length > 4096) {
            throw new IllegalArgumentException("the signature file is too long to be a Patchfleet plugin signature");
        }
        Map<String, String> fields = new LinkedHashMap<>();
        for (String line : new String(text, StandardCharsets.UTF_8).split("\r?\n")) {
            if (line.isBlank()) {
                continue;
            }
            int colon = line.indexOf(':');
            if (colon < 0) {
                throw new IllegalArgumentException("the signature file has a line without 'key: value'");
            }
            fields.put(line.substring(0, colon).trim(), line.substring(colon + 1).trim());
        }
        if (!FORMAT.equals(fields.get("format"))) {
            throw new IllegalArgumentException("not a Patchfleet plugin signature (format must be " + FORMAT + ")");
        }
        String key = fields.get("key");
        String digest = fields.get("sha256");
        String sig = fields.get("signature");
        if (key == null || !key.matches("[0-9a-f]{64}")) {
            throw new IllegalArgumentException("the signature's key id must be 64 lower-case hex digits");
        }
        if (digest == null || !digest.matches("[0-9a-f]{64}")) {
            throw new IllegalArgumentException("the signature's sha256 must be 64 lower-case hex digits");
        }
        byte[] bytes;
        try {
            bytes = Base64.getDecoder().decode(sig == null ? "" : sig);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("the signature is not base64");
        }
        if (bytes.length != 64) {
            throw new IllegalArgumentException("an Ed25519 signature has 64 bytes, this one " + bytes.length);
        }
        return new PluginSignature(key, digest, bytes);
    }

    /** The id of a public key: SHA-256 of its X.509 encoding, hex. */
    public static String keyId(PublicKey key) {
        return sha256Hex(key.getEncoded());
    }

    public static String sha256Hex(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    public static KeyPair generateKeyPair() throws GeneralSecurityException {
        return KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
    }

    public static String pem(PublicKey key) {
        return pem("PUBLIC KEY", key.getEncoded());
    }

    public static String pem(PrivateKey key) {
        return pem("PRIVATE KEY", key.getEncoded());
    }

    /** Reads an Ed25519 public key from PEM ({@code -----BEGIN PUBLIC KEY-----}). */
    public static PublicKey readPublicKey(String pem) throws GeneralSecurityException {
        return KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(unpem(pem, "PUBLIC KEY")));
    }

    /** Reads an Ed25519 private key from unencrypted PKCS#8 PEM ({@code -----BEGIN PRIVATE KEY-----}). */
    public static PrivateKey readPrivateKey(String pem) throws GeneralSecurityException {
        return KeyFactory.getInstance("Ed25519").generatePrivate(new PKCS8EncodedKeySpec(unpem(pem, "PRIVATE KEY")));
    }

    private static byte[] message(String sha256Hex) {
        return (FORMAT + "\n" + sha256Hex).getBytes(StandardCharsets.US_ASCII);
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }

    private static byte[] unpem(String pem, String type) throws GeneralSecurityException {
        String begin = "-----BEGIN " + type + "-----";
        String end = "-----END " + type + "-----";
        int b = pem.indexOf(begin);
        int e = pem.indexOf(end);
        if (b < 0 || e < b) {
            throw new GeneralSecurityException("not a PEM " + type.toLowerCase() + " (expected " + begin + ")");
        }
        try {
            return Base64.getMimeDecoder().decode(pem.substring(b + begin.length(), e));
        } catch (IllegalArgumentException x) {
            throw new GeneralSecurityException("the PEM " + type.toLowerCase() + " is not base64");
        }
    }
}
