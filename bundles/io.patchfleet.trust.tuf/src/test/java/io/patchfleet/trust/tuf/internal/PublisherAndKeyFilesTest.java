package io.patchfleet.trust.tuf.internal;

import static io.patchfleet.trust.tuf.internal.Fixture.KERNEL;
import static io.patchfleet.trust.tuf.internal.Fixture.T0;
import static io.patchfleet.trust.tuf.internal.Fixture.patch;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.patchfleet.model.KernelId;
import io.patchfleet.model.PatchRelease;
import io.patchfleet.trust.api.MetadataFile;
import io.patchfleet.trust.api.RoleName;
import io.patchfleet.trust.api.TargetMismatchException;
import io.patchfleet.trust.api.TrustException;
import io.patchfleet.trust.api.TrustException.Reason;
import io.patchfleet.trust.api.VerifiedTarget;
import io.patchfleet.trust.tuf.KeyFileException;
import io.patchfleet.trust.tuf.KeyFiles;
import io.patchfleet.trust.tuf.LocalSigningKey;
import io.patchfleet.trust.tuf.TargetVerification;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PublisherAndKeyFilesTest {
    @TempDir
    Path dir;

    @Test
    void publishWritesConsistentSnapshotFilesAndRevokes() throws Exception {
        Fixture repo = new Fixture(dir.resolve("repo"));
        repo.publish(patch(KERNEL, 1));
        repo.publish(List.of(patch(KERNEL, 1).withRevoked(true)), Set.of(), T0);
        assertTrue(repo.repo.publishedTargets().get(patch(KERNEL, 1).targetName()).patch().orElseThrow().revoked());
        assertEquals(List.of("1.kernel-5.15.0-91-generic-x86_64.json", "1.root.json", "1.snapshot.json",
                "1.targets.json", "2.kernel-5.15.0-91-generic-x86_64.json", "2.snapshot.json",
                "kernel-5.15.0-91-generic-x86_64.json", "root.json", "snapshot.json", "targets.json", "timestamp.json"),
                repo.repo.metadataFiles());
        // monotonic patch versions per kernel, and names inside the kernel's role
        assertThrows(IllegalArgumentException.class, () -> repo.publish(patch(KERNEL, 1).withRevoked(false)
                .withRevoked(false) == null ? null : new PatchRelease(KERNEL, 1, "lkp_x", patch(KERNEL, 1).targetName()
                        .replace(".ko", "_b.ko"), patch(KERNEL, 1).sha256(), patch(KERNEL, 1).length(), List.of(), "",
                        T0, 0, false)));
        PatchRelease misplaced = new PatchRelease(KERNEL, 5, "lkp_x", "elsewhere/lkp_x.ko", patch(KERNEL, 1).sha256(),
                patch(KERNEL, 1).length(), List.of(), "", T0, 0, false);
        assertThrows(IllegalArgumentException.class, () -> repo.publish(misplaced));
        repo.publish(List.of(), Set.of(patch(KERNEL, 1).targetName()), T0);
        assertFalse(repo.repo.publishedTargets().containsKey(patch(KERNEL, 1).targetName()));
    }

    @Test
    void publishingWithoutEnoughKeysFailsAndWritesNothing() throws Exception {
        Fixture repo = new Fixture(dir.resolve("repo"));
        List<String> before = repo.repo.metadataFiles();
        var keys = repo.signingKeys();
        keys.put(RoleName.TARGETS, List.of(LocalSigningKey.generate(LocalSigningKey.Type.ED25519)));
        TrustException e = assertThrows(TrustException.class, () -> repo.publisher.publish(repo.repo,
                new io.patchfleet.trust.api.PublishRequest(List.of(patch(KERNEL, 1)), Set.of(), Duration.ofDays(30),
                        Duration.ofDays(1)), keys, T0));
        assertEquals(Reason.SIGNING_FAILED, e.reason());
        assertEquals(before, repo.repo.metadataFiles());
    }

    @Test
    void rootRotationNeedsTheOldRootKeys() throws Exception {
        Fixture repo = new Fixture(dir.resolve("repo"));
        List<LocalSigningKey> old = repo.keys.get(RoleName.ROOT);
        List<LocalSigningKey> fresh = List.of(LocalSigningKey.generate(LocalSigningKey.Type.ECDSA_P256),
                LocalSigningKey.generate(LocalSigningKey.Type.ED25519));
        repo.keys.put(RoleName.ROOT, fresh);
        TrustException e = assertThrows(TrustException.class, () -> repo.writeRoot(List.of(), fresh,
                T0.plus(Duration.ofDays(365))));
        assertEquals(Reason.SIGNING_FAILED, e.reason());
        MetadataFile root2 = repo.writeRoot(old, fresh, T0.plus(Duration.ofDays(365)));
        assertEquals("2.root.json", root2.name());
        repo.publish(patch(KERNEL, 1));
        TufVerifier client = repo.pinnedClient(new Fixture.MemoryStore());
        assertEquals(2, client.refresh(new Fixture.Source(repo.repo), T0.plusSeconds(1)).root().version());
    }

    @Test
    void keyFilesRoundTripAndRejectAWrongPassphrase() throws Exception {
        for (LocalSigningKey.Type type : LocalSigningKey.Type.values()) {
            LocalSigningKey key = LocalSigningKey.generate(type);
            Path enc = dir.resolve(type + ".key");
            KeyFiles.writeEncrypted(enc, key, "correct horse".toCharArray());
            assertEquals(key.publicKey(), KeyFiles.readPublic(enc));
            LocalSigningKey back = KeyFiles.read(enc, "correct horse".toCharArray());
            assertEquals(key.publicKey(), back.publicKey());
            assertTrue(Keys.verify(key.publicKey(), new byte[] {1}, back.sign(new byte[] {1})));
            KeyFileException wrong = assertThrows(KeyFileException.class, () -> KeyFiles.read(enc, "wrong".toCharArray()));
            assertEquals(KeyFileException.Reason.WRONG_PASSPHRASE, wrong.reason());
            assertEquals(KeyFileException.Reason.PASSPHRASE_REQUIRED,
                    assertThrows(KeyFileException.class, () -> KeyFiles.read(enc, null)).reason());
            assertFalse(Files.readString(enc).contains(HexOf.privateHex(KeyFiles.encodePlain(key))));

            byte[] plain = KeyFiles.encodePlain(key);
            assertEquals(key.publicKey(), KeyFiles.decode(plain, null).publicKey(), "plain key from an env variable");
        }
    }

    @Test
    void keyFileWithASwappedPublicKeyIsRejected() throws Exception {
        LocalSigningKey a = LocalSigningKey.generate(LocalSigningKey.Type.ED25519);
        LocalSigningKey b = LocalSigningKey.generate(LocalSigningKey.Type.ED25519);
        String enc = new String(KeyFiles.encodeEncrypted(a, "pw".toCharArray()), StandardCharsets.UTF_8)
                .replace(a.publicKey().publicKey(), b.publicKey().publicKey())
                .replace(a.publicKey().id().hex(), b.publicKey().id().hex());
        assertEquals(KeyFileException.Reason.WRONG_PASSPHRASE, assertThrows(KeyFileException.class,
                () -> KeyFiles.decode(enc.getBytes(StandardCharsets.UTF_8), "pw".toCharArray())).reason());
    }

    @Test
    void targetBytesMustMatchLengthAndHashes() throws Exception {
        byte[] module = Fixture.module(KERNEL, 1);
        VerifiedTarget t = new VerifiedTarget("k/m.ko", module.length, Map.of("sha256",
                io.patchfleet.model.Sha256.digestOf(module).hex(), "sha512", Hashes.hex("sha512", module)),
                java.util.Optional.empty());
        TargetVerification.verify(t, new ByteArrayInputStream(module));
        byte[] longer = java.util.Arrays.copyOf(module, module.length + 1);
        assertEquals(Reason.LENGTH_MISMATCH, assertThrows(TargetMismatchException.class,
                () -> TargetVerification.verify(t, new ByteArrayInputStream(longer))).reason());
        byte[] flipped = module.clone();
        flipped[0] ^= 1;
        assertEquals(Reason.HASH_MISMATCH, assertThrows(TargetMismatchException.class,
                () -> TargetVerification.verify(t, new ByteArrayInputStream(flipped))).reason());
        VerifiedTarget wrong512 = new VerifiedTarget("k/m.ko", module.length, Map.of("sha256",
                io.patchfleet.model.Sha256.digestOf(module).hex(), "sha512", "00".repeat(64)), java.util.Optional.empty());
        assertEquals(Reason.HASH_MISMATCH, assertThrows(TargetMismatchException.class,
                () -> TargetVerification.verify(wrong512, new ByteArrayInputStream(module))).reason());
        // an endless stream is cut off after length + 1 bytes
        java.io.InputStream endless = new java.io.InputStream() {
            long served;

            @Override
            public int read() {
                served++;
                if (served > module.length + 65536L) {
                    throw new AssertionError("read far beyond the signed length");
                }
                return 'x';
            }
        };
        assertThrows(TargetMismatchException.class, () -> TargetVerification.verify(t, endless));
    }

    /** Extracts the private hex of a plain key file. */
    static final class HexOf {
        static String privateHex(byte[] plainKeyFile) throws Exception {
            @SuppressWarnings("unchecked")
            Map<String, Object> keyval = (Map<String, Object>) Json.parseObject(plainKeyFile, "k", 10_000).get("keyval");
            return (String) keyval.get("private");
        }
    }

    static KernelId unused() {
        return KERNEL;
    }
}
