package io.patchfleet.trust.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.patchfleet.model.KernelId;
import io.patchfleet.model.PatchRelease;
import io.patchfleet.model.Sha256;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

class TrustValuesTest {
    static final KeyId A = new KeyId("a".repeat(64));
    static final KeyId B = new KeyId("b".repeat(64));
    static final KeyId C = new KeyId("c".repeat(64));
    static final byte[] MODULE = {1, 2, 3};
    static final Sha256 SHA = Sha256.digestOf(MODULE);

    @Test
    void thresholdCountsDistinctListedKeysOnly() {
        RoleKeys keys = new RoleKeys(Set.of(A, B), 2);
        assertTrue(keys.isMetBy(Set.of(A, B)));
        assertTrue(keys.isMetBy(Set.of(A, B, C)));
        assertFalse(keys.isMetBy(Set.of(A, C)), "an unlisted key does not count");
        assertFalse(keys.isMetBy(Set.of(A)));
        assertThrows(IllegalArgumentException.class, () -> new RoleKeys(Set.of(A), 2));
        assertThrows(IllegalArgumentException.class, () -> new RoleKeys(Set.of(A), 0));
        assertThrows(IllegalArgumentException.class, () -> new RoleKeys(Set.of(), 1));
    }

    @Test
    void targetContentMustMatchLengthThenHash() {
        VerifiedTarget t = new VerifiedTarget("k/lkp.ko", MODULE.length, Map.of("sha256", SHA.hex()), Optional.empty());
        assertDoesNotThrow(() -> t.checkContent(3, SHA));
        TargetMismatchException length = assertThrows(TargetMismatchException.class, () -> t.checkContent(4, SHA));
        assertEquals(TrustException.Reason.LENGTH_MISMATCH, length.reason());
        TargetMismatchException hash = assertThrows(TargetMismatchException.class,
                () -> t.checkContent(3, Sha256.digestOf(new byte[] {9, 9, 9})));
        assertEquals(TrustException.Reason.HASH_MISMATCH, hash.reason());
    }

    @Test
    void targetNeedsSha256AndAgreeingPatchFields() {
        assertThrows(IllegalArgumentException.class,
                () -> new VerifiedTarget("k/lkp.ko", 3, Map.of("sha512", "00"), Optional.empty()));
        assertThrows(IllegalArgumentException.class,
                () -> new VerifiedTarget("../lkp.ko", 3, Map.of("sha256", SHA.hex()), Optional.empty()));
        PatchRelease patch = new PatchRelease(KernelId.of("5.15.0-91-generic", "x86_64", ""), 1, "lkp", "k/lkp.ko",
                SHA, 3, List.of(), "", Instant.EPOCH, 0, false);
        assertDoesNotThrow(() -> new VerifiedTarget("k/lkp.ko", 3, Map.of("sha256", SHA.hex()), Optional.of(patch)));
        assertThrows(IllegalArgumentException.class,
                () -> new VerifiedTarget("k/other.ko", 3, Map.of("sha256", SHA.hex()), Optional.of(patch)));
        assertThrows(IllegalArgumentException.class,
                () -> new VerifiedTarget("k/lkp.ko", 4, Map.of("sha256", SHA.hex()), Optional.of(patch)));
    }

    @Test
    void exceptionSubclassesAcceptOnlyTheirReasons() {
        assertInstanceOf(TrustException.class, new ExpiredMetadataException(TrustException.Reason.EXPIRED, "x"));
        assertThrows(IllegalArgumentException.class,
                () -> new ExpiredMetadataException(TrustException.Reason.ROLLBACK, "x"));
        assertThrows(IllegalArgumentException.class,
                () -> new SignatureException(TrustException.Reason.HASH_MISMATCH, "x"));
        assertThrows(IllegalArgumentException.class,
                () -> new TargetMismatchException(TrustException.Reason.BAD_SIGNATURE, "x"));
        assertEquals(TrustException.Reason.VERSION_MISMATCH,
                new RollbackException(TrustException.Reason.VERSION_MISMATCH, "x").reason());
        assertEquals("hash-mismatch", TrustException.Reason.HASH_MISMATCH.wireName());
    }

    @Test
    void anchorIsPinnedOrExplicitlyTrustOnFirstUse() {
        assertEquals(Optional.of(SHA), TrustAnchor.pinned(SHA).fingerprint());
        assertEquals(TrustAnchor.Kind.TRUST_ON_FIRST_USE, TrustAnchor.trustOnFirstUse().kind());
        assertThrows(IllegalArgumentException.class, () -> new TrustAnchor(TrustAnchor.Kind.PINNED, Optional.empty()));
        assertThrows(IllegalArgumentException.class,
                () -> new TrustAnchor(TrustAnchor.Kind.TRUST_ON_FIRST_USE, Optional.of(SHA)));
    }

    @Test
    void metadataFileCopiesBytesAndChecksName() {
        byte[] bytes = {'{', '}'};
        MetadataFile f = new MetadataFile("3.root.json", bytes);
        bytes[0] = 'x';
        assertArrayEquals(new byte[] {'{', '}'}, f.content());
        f.content()[0] = 'y';
        assertArrayEquals(new byte[] {'{', '}'}, f.content());
        assertEquals(new MetadataFile("3.root.json", new byte[] {'{', '}'}), f);
        for (String bad : List.of("../root.json", "a/root.json", ".root.json", "root.txt", "x..json", "")) {
            assertThrows(IllegalArgumentException.class, () -> new MetadataFile(bad, new byte[0]), bad);
        }
    }

    @Test
    void rootMustNameEveryRoleAndRoleNamesRoundTrip() {
        RoleKeys k = new RoleKeys(Set.of(A), 1);
        assertThrows(IllegalArgumentException.class, () -> new TrustedRoot(1, Instant.EPOCH, SHA,
                Map.of(RoleName.ROOT, k, RoleName.TARGETS, k, RoleName.SNAPSHOT, k)));
        assertDoesNotThrow(() -> new TrustedRoot(1, Instant.EPOCH, SHA, Map.of(RoleName.ROOT, k,
                RoleName.TARGETS, k, RoleName.SNAPSHOT, k, RoleName.TIMESTAMP, k)));
        for (RoleName r : RoleName.values()) {
            assertEquals(r, RoleName.fromWire(r.wireName()));
        }
        assertThrows(IllegalArgumentException.class, () -> RoleName.fromWire("ROOT"));
    }

    @Test
    void publishRequestRejectsContradictions() {
        PatchRelease patch = new PatchRelease(KernelId.of("5.15.0-91-generic", "x86_64", ""), 1, "lkp", "k/lkp.ko",
                SHA, 3, List.of(), "", Instant.EPOCH, 0, false);
        Duration day = Duration.ofDays(1);
        assertThrows(IllegalArgumentException.class,
                () -> new PublishRequest(List.of(patch), Set.of("k/lkp.ko"), day, day));
        assertThrows(IllegalArgumentException.class,
                () -> new PublishRequest(List.of(patch, patch.withRevoked(true)), Set.of(), day, day));
        assertThrows(IllegalArgumentException.class, () -> new PublishRequest(List.of(), Set.of(), Duration.ZERO, day));
    }

    @Test
    void delegatedRoleNamesAreFileSafeAndNotTopLevel() {
        assertEquals("kernel-5.15.0-91-generic-x86_64", DelegatedTargets.checkRoleName("kernel-5.15.0-91-generic-x86_64"));
        for (String bad : List.of("targets", "root", "", ".x", "a/b", "a..b", "-x", "x y")) {
            assertThrows(IllegalArgumentException.class, () -> DelegatedTargets.checkRoleName(bad), bad);
        }
    }

    @Test
    void directiveNamesATargetExactlyOrNone() {
        io.patchfleet.model.MachineId m = io.patchfleet.model.MachineId.of("abc");
        VerifiedTarget t = new VerifiedTarget("k/lkp.ko", 3, Map.of("sha256", SHA.hex()), Optional.empty());
        Directive d = Directive.install(m, t, 1, Instant.EPOCH.plusMillis(1500), Instant.EPOCH.plusSeconds(60));
        assertEquals(Instant.EPOCH.plusSeconds(1), d.issued(), "times are whole seconds");
        assertEquals(t.hashes(), d.target().orElseThrow().hashes());
        assertTrue(Directive.none(m, 2, Instant.EPOCH, Instant.EPOCH.plusSeconds(1)).target().isEmpty());
        assertThrows(IllegalArgumentException.class, () -> Directive.none(m, 0, Instant.EPOCH, Instant.EPOCH.plusSeconds(1)));
        assertThrows(IllegalArgumentException.class, () -> Directive.none(m, 1, Instant.EPOCH, Instant.EPOCH));
        assertThrows(IllegalArgumentException.class, () -> new VerifiedDirective(d, Optional.empty()));
    }
}
