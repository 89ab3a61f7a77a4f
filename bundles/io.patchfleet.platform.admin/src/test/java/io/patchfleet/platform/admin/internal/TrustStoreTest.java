package io.patchfleet.platform.admin.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.patchfleet.platform.admin.PluginException;
import io.patchfleet.platform.admin.PluginSignature;

/** The plugin trust store attacked: unsigned, tampered, foreign key, forged and replayed signatures. */
class TrustStoreTest {
    @TempDir
    Path dir;

    private KeyPair acme;
    private TrustStore store;
    private final byte[] jar = "PK... pretend jar bytes".getBytes(StandardCharsets.US_ASCII);

    @BeforeEach
    void setUp() throws Exception {
        acme = PluginSignature.generateKeyPair();
        Files.writeString(dir.resolve("acme.pub"), PluginSignature.pem(acme.getPublic()));
        Files.writeString(dir.resolve("junk.pub"), "not a key");
        store = new TrustStore(dir);
    }

    private byte[] sign(byte[] bytes, KeyPair key) throws Exception {
        return PluginSignature.sign(bytes, key.getPrivate(), key.getPublic()).toBytes();
    }

    @Test
    void aJarSignedByATrustedKeyIsAcceptedAndNamesItsSigner() throws Exception {
        assertEquals("acme", store.check(jar, sign(jar, acme), false));
    }

    @Test
    void anUnsignedJarIsRefusedUnlessTheDevelopmentSwitchIsOn() throws Exception {
        PluginException e = assertThrows(PluginException.class, () -> store.check(jar, null, false));
        assertEquals("unsigned", e.code());
        assertTrue(e.getMessage().contains("publisher plugin sign"), e.getMessage());
        assertEquals("unsigned", store.check(jar, null, true));
    }

    @Test
    void aChangedByteFailsTheSignature() throws Exception {
        byte[] sig = sign(jar, acme);
        byte[] tampered = jar.clone();
        tampered[3] ^= 1;
        assertEquals("bad-signature", assertThrows(PluginException.class, () -> store.check(tampered, sig, false)).code());
        // even with the switch on, a signature that is present and wrong is never waved through
        assertEquals("bad-signature", assertThrows(PluginException.class, () -> store.check(tampered, sig, true)).code());
    }

    @Test
    void aKeyOutsideTheTrustStoreIsRefused() throws Exception {
        KeyPair stranger = PluginSignature.generateKeyPair();
        PluginException e = assertThrows(PluginException.class, () -> store.check(jar, sign(jar, stranger), false));
        assertEquals("untrusted-key", e.code());
    }

    @Test
    void aSignatureWithTheRightHashButForgedBytesIsRefused() throws Exception {
        String text = new String(sign(jar, acme), StandardCharsets.UTF_8);
        String forged = text.replaceFirst("signature: .*", "signature: " + java.util.Base64.getEncoder().encodeToString(new byte[64]));
        assertEquals("bad-signature",
                assertThrows(PluginException.class, () -> store.check(jar, forged.getBytes(StandardCharsets.UTF_8), false)).code());
    }

    @Test
    void aSignatureOfAnotherJarByTheTrustedKeyIsRefused() throws Exception {
        byte[] other = sign("another jar".getBytes(StandardCharsets.US_ASCII), acme);
        assertEquals("bad-signature", assertThrows(PluginException.class, () -> store.check(jar, other, false)).code());
    }

    @Test
    void aSignatureMadeForAnotherPurposeDoesNotVerify() throws Exception {
        // Ed25519 over the bare SHA-256 (no plugin-signature prefix), as another tool might sign.
        java.security.Signature s = java.security.Signature.getInstance("Ed25519");
        s.initSign(acme.getPrivate());
        s.update(PluginSignature.sha256Hex(jar).getBytes(StandardCharsets.US_ASCII));
        String text = new String(sign(jar, acme), StandardCharsets.UTF_8)
                .replaceFirst("signature: .*", "signature: " + java.util.Base64.getEncoder().encodeToString(s.sign()));
        assertEquals("bad-signature",
                assertThrows(PluginException.class, () -> store.check(jar, text.getBytes(StandardCharsets.UTF_8), false)).code());
    }

    @Test
    void garbageInsteadOfASignatureIsAClearError() {
        PluginException e = assertThrows(PluginException.class,
                () -> store.check(jar, "hello".getBytes(StandardCharsets.US_ASCII), false));
        assertEquals("bad-signature", e.code());
        assertTrue(e.getMessage().contains("invalid"), e.getMessage());
    }

    @Test
    void removingTheKeyFileRevokesTrustAtOnce() throws Exception {
        byte[] sig = sign(jar, acme);
        Files.delete(dir.resolve("acme.pub"));
        assertEquals("untrusted-key", assertThrows(PluginException.class, () -> store.check(jar, sig, false)).code());
    }
}
