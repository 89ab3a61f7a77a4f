package io.patchfleet.trust.tuf;

import io.patchfleet.trust.api.MalformedMetadataException;
import io.patchfleet.trust.api.TrustKey;
import io.patchfleet.trust.tuf.internal.CanonicalJson;
import io.patchfleet.trust.tuf.internal.Json;
import io.patchfleet.trust.tuf.internal.Keys;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.bouncycastle.crypto.generators.SCrypt;

/**
 * Key files of the publisher and the on-prem server: one JSON object per key, the public part
 * in clear (so {@code status} and root creation need no passphrase), the private part either
 * encrypted with a passphrase or, for automation, in clear.
 *
 * <pre>
 * {"format": "patchfleet-key-v1", "keytype": "ed25519", "scheme": "ed25519", "keyid": "…",
 *  "keyval": {"public": "…"},
 *  "encryption": {"kdf": "scrypt", "n": 32768, "r": 8, "p": 1, "salt": "…",
 *                 "cipher": "aes-256-gcm", "nonce": "…"},
 *  "ciphertext": "…"}
 * </pre>
 * The private key (32 bytes: Ed25519 seed or P-256 scalar) is encrypted with AES-256-GCM under
 * a key derived by scrypt; the canonical JSON of every other field is the associated data, so
 * swapping the clear public key or weakening the KDF parameters makes decryption fail. An
 * unencrypted file has {@code "keyval": {"public": "…", "private": "<hex>"}} and no
 * {@code encryption}; its content may also come from an environment variable
 * ({@link #decode}). Files are written atomically with owner-only permissions where the file
 * system supports them.
 */
public final class KeyFiles {
    public static final String FORMAT = "patchfleet-key-v1";
    private static final int N = 1 << 15;
    private static final int R = 8;
    private static final int P = 1;

    private KeyFiles() {}

    /** The encrypted key file content of {@code key}. */
    public static byte[] encodeEncrypted(LocalSigningKey key, char[] passphrase) {
        Objects.requireNonNull(passphrase, "passphrase");
        if (passphrase.length == 0) {
            throw new IllegalArgumentException("the passphrase must not be empty");
        }
        SecureRandom random = new SecureRandom();
        byte[] salt = new byte[16];
        byte[] nonce = new byte[12];
        random.nextBytes(salt);
        random.nextBytes(nonce);
        Map<String, Object> enc = new LinkedHashMap<>();
        enc.put("kdf", "scrypt");
        enc.put("n", (long) N);
        enc.put("r", (long) R);
        enc.put("p", (long) P);
        enc.put("salt", hex(salt));
        enc.put("cipher", "aes-256-gcm");
        enc.put("nonce", hex(nonce));
        Map<String, Object> file = header(key);
        file.put("encryption", enc);
        byte[] priv = key.privateBytes();
        byte[] aesKey = derive(passphrase, salt, N, R, P);
        try {
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(aesKey, "AES"), new GCMParameterSpec(128, nonce));
            c.updateAAD(CanonicalJson.encode(file));
            file.put("ciphertext", hex(c.doFinal(priv)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-256-GCM is unavailable", e);
        } finally {
            Arrays.fill(priv, (byte) 0);
            Arrays.fill(aesKey, (byte) 0);
        }
        return CanonicalJson.encodeFile(file);
    }

    /** The unencrypted key file content of {@code key}: protect it like the key itself. */
    public static byte[] encodePlain(LocalSigningKey key) {
        Map<String, Object> file = header(key);
        byte[] priv = key.privateBytes();
        file.put("keyval", Map.of("public", key.publicKey().publicKey(), "private", hex(priv)));
        Arrays.fill(priv, (byte) 0);
        return CanonicalJson.encodeFile(file);
    }

    /** Writes an encrypted key file atomically, readable by the owner only. */
    public static void writeEncrypted(Path file, LocalSigningKey key, char[] passphrase) throws IOException {
        AtomicFiles.write(file, encodeEncrypted(key, passphrase), true);
    }

    /** Writes an unencrypted key file atomically, readable by the owner only. */
    public static void writePlain(Path file, LocalSigningKey key) throws IOException {
        AtomicFiles.write(file, encodePlain(key), true);
    }

    /**
     * Reads a key file.
     *
     * @param passphrase for an encrypted file; may be {@code null} for an unencrypted one
     * @throws KeyFileException wrong passphrase, passphrase required, or not a key file
     * @throws IOException if the file cannot be read
     */
    public static LocalSigningKey read(Path file, char[] passphrase) throws IOException, KeyFileException {
        return decode(java.nio.file.Files.readAllBytes(file), passphrase);
    }

    /** Whether key file content is encrypted (needs a passphrase). */
    public static boolean isEncrypted(byte[] content) throws KeyFileException {
        return parse(content).containsKey("encryption");
    }

    /** The public key of a key file, without decrypting anything. */
    public static TrustKey readPublic(Path file) throws IOException, KeyFileException {
        Map<String, Object> m = parse(java.nio.file.Files.readAllBytes(file));
        return publicKey(m);
    }

    /**
     * Decodes key file content, e.g. from an environment variable.
     *
     * @param passphrase for encrypted content; may be {@code null} for unencrypted content
     */
    public static LocalSigningKey decode(byte[] content, char[] passphrase) throws KeyFileException {
        Map<String, Object> m = parse(content);
        TrustKey pub = publicKey(m);
        LocalSigningKey.Type type = type(pub);
        byte[] priv;
        if (m.containsKey("encryption")) {
            if (passphrase == null || passphrase.length == 0) {
                throw new KeyFileException(KeyFileException.Reason.PASSPHRASE_REQUIRED,
                        "key " + pub.id() + " is encrypted: a passphrase is required");
            }
            Map<String, Object> enc = object(m, "encryption");
            if (!"scrypt".equals(enc.get("kdf")) || !"aes-256-gcm".equals(enc.get("cipher"))) {
                throw malformed("unsupported key encryption (expected scrypt and aes-256-gcm)");
            }
            long n = number(enc, "n");
            long r = number(enc, "r");
            long p = number(enc, "p");
            if (n < 1024 || n > (1 << 20) || Long.bitCount(n) != 1 || r < 1 || r > 32 || p < 1 || p > 16) {
                throw malformed("scrypt parameters out of range");
            }
            byte[] salt = hexField(enc, "salt");
            byte[] nonce = hexField(enc, "nonce");
            byte[] ciphertext = hexField(m, "ciphertext");
            Map<String, Object> aad = new LinkedHashMap<>(m);
            aad.remove("ciphertext");
            byte[] aesKey = derive(passphrase, salt, (int) n, (int) r, (int) p);
            try {
                Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
                c.init(Cipher.DECRYPT_MODE, new SecretKeySpec(aesKey, "AES"), new GCMParameterSpec(128, nonce));
                c.updateAAD(CanonicalJson.encode(aad));
                priv = c.doFinal(ciphertext);
            } catch (AEADBadTagException e) {
                throw new KeyFileException(KeyFileException.Reason.WRONG_PASSPHRASE,
                        "wrong passphrase for key " + pub.id() + " (or the key file was altered)", e);
            } catch (GeneralSecurityException | IllegalArgumentException e) {
                throw malformed("cannot decrypt: " + e.getMessage());
            } finally {
                Arrays.fill(aesKey, (byte) 0);
            }
        } else {
            priv = hexField(object(m, "keyval"), "private");
        }
        try {
            LocalSigningKey key = LocalSigningKey.fromPrivate(type, priv);
            if (!key.publicKey().equals(pub)) {
                key.destroy();
                throw malformed("the private key does not belong to the public key " + pub.id() + " in the file");
            }
            return key;
        } catch (IllegalArgumentException e) {
            throw malformed("invalid private key: " + e.getMessage());
        } finally {
            Arrays.fill(priv, (byte) 0);
        }
    }

    private static Map<String, Object> header(LocalSigningKey key) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("format", FORMAT);
        m.put("keytype", key.publicKey().keyType());
        m.put("scheme", key.publicKey().scheme());
        m.put("keyid", key.publicKey().id().hex());
        m.put("keyval", Map.of("public", key.publicKey().publicKey()));
        return m;
    }

    private static Map<String, Object> parse(byte[] content) throws KeyFileException {
        Map<String, Object> m;
        try {
            m = Json.parseObject(content, "key file", 64 * 1024);
        } catch (MalformedMetadataException e) {
            throw new KeyFileException(KeyFileException.Reason.MALFORMED, e.getMessage(), e);
        }
        if (!FORMAT.equals(m.get("format"))) {
            throw malformed("not a Patchfleet key file (format must be " + FORMAT + ")");
        }
        return m;
    }

    private static TrustKey publicKey(Map<String, Object> m) throws KeyFileException {
        if (!(m.get("keytype") instanceof String type) || !(m.get("scheme") instanceof String scheme)
                || !(object(m, "keyval").get("public") instanceof String pub) || !(m.get("keyid") instanceof String id)) {
            throw malformed("keytype, scheme, keyid and keyval.public are required");
        }
        TrustKey key;
        try {
            key = Keys.key(type, scheme, pub);
        } catch (IllegalArgumentException e) {
            throw malformed("invalid public key: " + e.getMessage());
        }
        if (!key.id().hex().equals(id)) {
            throw malformed("keyid " + id + " is not the id of the public key (" + key.id() + ")");
        }
        type(key);
        return key;
    }

    private static LocalSigningKey.Type type(TrustKey k) throws KeyFileException {
        for (LocalSigningKey.Type t : LocalSigningKey.Type.values()) {
            if (t.keyType.equals(k.keyType()) && t.scheme.equals(k.scheme())) {
                return t;
            }
        }
        throw malformed("unsupported key type " + k.keyType() + "/" + k.scheme());
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> object(Map<String, Object> m, String key) throws KeyFileException {
        if (m.get(key) instanceof Map<?, ?> o) {
            return (Map<String, Object>) o;
        }
        throw malformed(key + " must be an object");
    }

    private static long number(Map<String, Object> m, String key) throws KeyFileException {
        if (m.get(key) instanceof Long l) {
            return l;
        }
        throw malformed(key + " must be an integer");
    }

    private static byte[] hexField(Map<String, Object> m, String key) throws KeyFileException {
        if (m.get(key) instanceof String s && s.matches("([0-9a-f]{2})+")) {
            return HexFormat.of().parseHex(s);
        }
        throw malformed(key + " must be lower-case hex");
    }

    private static byte[] derive(char[] passphrase, byte[] salt, int n, int r, int p) {
        ByteBuffer bb = StandardCharsets.UTF_8.encode(CharBuffer.wrap(passphrase));
        byte[] pass = new byte[bb.remaining()];
        bb.get(pass);
        if (bb.hasArray()) {
            Arrays.fill(bb.array(), (byte) 0);
        }
        try {
            return SCrypt.generate(pass, salt, n, r, p, 32);
        } finally {
            Arrays.fill(pass, (byte) 0);
        }
    }

    private static KeyFileException malformed(String message) {
        return new KeyFileException(KeyFileException.Reason.MALFORMED, "key file: " + message);
    }

    private static String hex(byte[] b) {
        return HexFormat.of().formatHex(b);
    }
}
