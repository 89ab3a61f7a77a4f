package io.patchfleet.trust.tuf.internal;

import static io.patchfleet.trust.tuf.internal.Fixture.KERNEL;
import static io.patchfleet.trust.tuf.internal.Fixture.OTHER_KERNEL;
import static io.patchfleet.trust.tuf.internal.Fixture.T0;
import static io.patchfleet.trust.tuf.internal.Fixture.patch;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.patchfleet.model.Sha256;
import io.patchfleet.trust.api.DelegatedTargets;
import io.patchfleet.trust.api.ExpiredMetadataException;
import io.patchfleet.trust.api.MalformedMetadataException;
import io.patchfleet.trust.api.MetadataFile;
import io.patchfleet.trust.api.RoleName;
import io.patchfleet.trust.api.RollbackException;
import io.patchfleet.trust.api.SignatureException;
import io.patchfleet.trust.api.TargetMismatchException;
import io.patchfleet.trust.api.TrustAnchor;
import io.patchfleet.trust.api.TrustException;
import io.patchfleet.trust.api.TrustException.Reason;
import io.patchfleet.trust.api.TrustedMetadata;
import io.patchfleet.trust.api.VerifiedTarget;
import io.patchfleet.trust.tuf.KernelRoles;
import io.patchfleet.trust.tuf.LocalSigningKey;
import io.patchfleet.trust.tuf.TufLimits;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/** The TUF client workflow against a real publisher repository, and the attacks on it. */
class ClientWorkflowTest {
    static final Instant START = T0.plusSeconds(60);

    @TempDir
    Path dir;
    Fixture repo;
    Fixture.MemoryStore store;
    Fixture.Source source;
    TufVerifier client;

    @BeforeEach
    void setUp() throws Exception {
        repo = new Fixture(dir);
        repo.publish(patch(KERNEL, 1), patch(OTHER_KERNEL, 1));
        store = new Fixture.MemoryStore();
        source = new Fixture.Source(repo.repo);
        client = repo.pinnedClient(store);
    }

    /**
     * Runs a refresh that must fail with {@code type}, and checks the trusted state did not move:
     * the last complete update, and the stored files of {@code unchanged} roles (all when none
     * are named; root and timestamp legitimately advance before a later step fails).
     */
    <T extends TrustException> T rejected(Class<T> type, Executable refresh, String... unchanged) throws Exception {
        Map<String, MetadataFile> before = new HashMap<>(store.files);
        var current = client.current();
        T e = assertThrows(type, refresh);
        assertEquals(current, client.current(), "current metadata must not change on failure");
        if (unchanged.length == 0) {
            assertEquals(before, store.files, "the store must not change on failure");
        }
        for (String role : unchanged) {
            assertEquals(before.get(role), store.files.get(role), role + " must not change on failure");
        }
        return e;
    }

    @Test
    void refreshThenLookupOfOwnKernel() throws Exception {
        TrustedMetadata m = client.refresh(source, START);
        assertEquals(1, m.targetsVersion());
        assertEquals(Set.of(KernelRoles.roleFor(KERNEL), KernelRoles.roleFor(OTHER_KERNEL)), m.delegatedRoles().keySet());
        DelegatedTargets mine = client.targetsFor(KERNEL, source, START).orElseThrow();
        VerifiedTarget t = mine.target(patch(KERNEL, 1).targetName()).orElseThrow();
        assertEquals(patch(KERNEL, 1), t.patch().orElseThrow());
        assertFalse(source.fetched.contains("1." + KernelRoles.roleFor(OTHER_KERNEL) + ".json"));
        assertTrue(client.targetsFor(io.patchfleet.model.KernelId.of("4.4.0-1-generic", "x86_64", ""), source, START)
                .isEmpty(), "a kernel without a role is unsupported, not an error");
    }

    @Test
    void expectDelegatedAnnouncesTheFilesDelegatedTargetsWillFetchInOrderAndNothingItHolds() throws Exception {
        List<List<String>> announced = new java.util.ArrayList<>();
        List<Long> bounds = new java.util.ArrayList<>();
        io.patchfleet.trust.api.MetadataSource recording = new io.patchfleet.trust.api.MetadataSource() {
            @Override
            public java.util.Optional<MetadataFile> fetch(String fileName, long maxLength) throws java.io.IOException {
                return source.fetch(fileName, maxLength);
            }

            @Override
            public void expect(List<String> fileNames, long maxLength) {
                announced.add(fileNames);
                bounds.add(maxLength);
            }
        };
        client.expectDelegated(List.of(KernelRoles.roleFor(KERNEL)), recording);
        assertTrue(announced.isEmpty(), "before a refresh there is nothing to name");
        client.refresh(source, START);
        String mine = KernelRoles.roleFor(KERNEL);
        String other = KernelRoles.roleFor(OTHER_KERNEL);
        client.expectDelegated(List.of(other, "kernel-not-delegated", mine), recording);
        assertEquals(List.of(List.of("1." + other + ".json", "1." + mine + ".json")), announced,
                "the consistent-snapshot names, in the caller's order, without a role the targets do not delegate");
        assertEquals(List.of(TufLimits.DEFAULTS.delegatedMaxBytes()), bounds);
        client.delegatedTargets(mine, recording, START);
        announced.clear();
        client.expectDelegated(List.of(other, mine), recording);
        assertEquals(List.of(List.of("1." + other + ".json")), announced, "a role held verified is not fetched again");
        client.delegatedTargets(other, recording, START);
        announced.clear();
        client.expectDelegated(List.of(other, mine), recording);
        assertTrue(announced.isEmpty(), "nothing to fetch: no call at all");
    }

    @Test
    void reopenedClientKeepsStateAndReusesUnchangedFiles() throws Exception {
        client.refresh(source, START);
        client.targetsFor(KERNEL, source, START);
        TufVerifier again = new TufVerifier(repo.anchor(), store, TufLimits.DEFAULTS);
        assertEquals(1, again.current().orElseThrow().snapshotVersion());
        source.fetched.clear();
        again.refresh(source, START);
        again.targetsFor(KERNEL, source, START);
        assertEquals(List.of("2.root.json", "timestamp.json"), source.fetched, "unchanged files are not downloaded again");
    }

    // ---- attack 1: arbitrary installation, tampered or badly signed metadata

    @Test
    void tamperedMetadataIsRejected() throws Exception {
        byte[] ts = repo.repo.fetch("timestamp.json", Long.MAX_VALUE).orElseThrow().content();
        String s = new String(ts, StandardCharsets.UTF_8);
        source.overrides.put("timestamp.json", s.replace("\"version\":1", "\"version\":7").getBytes(StandardCharsets.UTF_8));
        SignatureException e = rejected(SignatureException.class, () -> client.refresh(source, START));
        assertEquals(Reason.BAD_SIGNATURE, e.reason());
    }

    @Test
    void metadataSignedByAnotherKeyIsRejected() throws Exception {
        Map<String, Object> signed = Fixture.signedOf(repo.repo.fetch("timestamp.json", Long.MAX_VALUE).orElseThrow().content());
        source.overrides.put("timestamp.json", Fixture.sign(signed, repo.keys.get(RoleName.SNAPSHOT).get(0)));
        rejected(SignatureException.class, () -> client.refresh(source, START));
    }

    @Test
    void firstRootMustMatchThePinnedFingerprint() throws Exception {
        Fixture.MemoryStore empty = new Fixture.MemoryStore();
        TufVerifier pinnedElsewhere = new TufVerifier(TrustAnchor.pinned(Sha256.digestOf(new byte[] {1})), empty,
                TufLimits.DEFAULTS);
        SignatureException e = assertThrows(SignatureException.class, () -> pinnedElsewhere.refresh(source, START));
        assertEquals(Reason.ANCHOR_MISMATCH, e.reason());
        assertTrue(empty.files.isEmpty());
    }

    // ---- attack 2: threshold bypass with duplicate key ids

    @Test
    void duplicateSignaturesOfOneKeyCountOnce() throws Exception {
        LocalSigningKey a = repo.keys.get(RoleName.TIMESTAMP).get(0);
        LocalSigningKey b = LocalSigningKey.generate(LocalSigningKey.Type.ED25519);
        repo.keys.put(RoleName.TIMESTAMP, List.of(a, b)); // threshold 2
        repo.writeRoot(repo.keys.get(RoleName.ROOT), repo.keys.get(RoleName.ROOT), T0.plus(Duration.ofDays(365)));
        repo.publish();
        Map<String, Object> signed = Fixture.signedOf(repo.repo.fetch("timestamp.json", Long.MAX_VALUE).orElseThrow().content());
        byte[] once = Fixture.sign(signed, a);
        String sig = new String(once, StandardCharsets.UTF_8);
        int start = sig.indexOf("[{") + 1;
        int end = sig.indexOf("}]") + 1;
        String entry = sig.substring(start, end);
        source.overrides.put("timestamp.json", (sig.substring(0, start) + entry + "," + entry + sig.substring(end))
                .getBytes(StandardCharsets.UTF_8));
        SignatureException e = rejected(SignatureException.class, () -> client.refresh(source, START),
                "timestamp", "snapshot", "targets");
        assertEquals(Reason.THRESHOLD_NOT_MET, e.reason());
    }

    // ---- attack 3: rollback

    @Test
    void olderTimestampIsRejected() throws Exception {
        byte[] old = repo.repo.fetch("timestamp.json", Long.MAX_VALUE).orElseThrow().content();
        repo.publish(patch(KERNEL, 2));
        client.refresh(source, START);
        source.overrides.put("timestamp.json", old);
        assertEquals(Reason.ROLLBACK, rejected(RollbackException.class, () -> client.refresh(source, START)).reason());
    }

    @Test
    void olderSnapshotIsRejected() throws Exception {
        client.refresh(source, START);
        // a timestamp naming a snapshot older than the trusted one, validly signed
        Map<String, Object> ts = Fixture.signedOf(repo.repo.fetch("timestamp.json", Long.MAX_VALUE).orElseThrow().content());
        ts.put("version", 5L);
        ts.put("meta", Map.of("snapshot.json", Map.of("version", 1L)));
        repo.publish(patch(KERNEL, 2));
        client.refresh(source, START); // trusts snapshot 2 now
        ts.put("version", 99L);
        source.overrides.put("timestamp.json", Fixture.sign(ts, repo.keys.get(RoleName.TIMESTAMP).get(0)));
        assertEquals(Reason.ROLLBACK, rejected(RollbackException.class, () -> client.refresh(source, START)).reason());
    }

    @Test
    void snapshotListingOlderRoleVersionsIsRejected() throws Exception {
        repo.publish(patch(KERNEL, 2));
        client.refresh(source, START); // trusts kernel role version 2 in snapshot 2
        Map<String, Object> snap = Fixture.signedOf(repo.repo.fetch("2.snapshot.json", Long.MAX_VALUE).orElseThrow().content());
        @SuppressWarnings("unchecked")
        Map<String, Object> meta = new HashMap<>((Map<String, Object>) snap.get("meta"));
        meta.put(KernelRoles.roleFor(KERNEL) + ".json", Map.of("version", 1L));
        snap.put("meta", meta);
        snap.put("version", 3L);
        byte[] snapBytes = Fixture.sign(snap, repo.keys.get(RoleName.SNAPSHOT).get(0));
        source.overrides.put("3.snapshot.json", snapBytes);
        Map<String, Object> ts = Fixture.signedOf(repo.repo.fetch("timestamp.json", Long.MAX_VALUE).orElseThrow().content());
        ts.put("version", 3L);
        ts.put("meta", Map.of("snapshot.json", Map.of("version", 3L)));
        source.overrides.put("timestamp.json", Fixture.sign(ts, repo.keys.get(RoleName.TIMESTAMP).get(0)));
        assertEquals(Reason.ROLLBACK, rejected(RollbackException.class, () -> client.refresh(source, START),
                "snapshot", "targets").reason());
    }

    @Test
    void rootMustBeExactlyTheNextVersion() throws Exception {
        // 2.root.json holding version 3: validly signed by old and new root keys, but skips 2
        repo.writeRoot(repo.keys.get(RoleName.ROOT), repo.keys.get(RoleName.ROOT), T0.plus(Duration.ofDays(365)));
        repo.writeRoot(repo.keys.get(RoleName.ROOT), repo.keys.get(RoleName.ROOT), T0.plus(Duration.ofDays(365)));
        source.overrides.put("2.root.json", repo.repo.fetch("3.root.json", Long.MAX_VALUE).orElseThrow().content());
        assertEquals(Reason.ROLLBACK, rejected(RollbackException.class, () -> client.refresh(source, START)).reason());
    }

    @Test
    void newRootMustBeSignedByTheOldRootKeys() throws Exception {
        LocalSigningKey attacker = LocalSigningKey.generate(LocalSigningKey.Type.ED25519);
        Map<String, Object> root = Fixture.signedOf(repo.repo.fetch("1.root.json", Long.MAX_VALUE).orElseThrow().content());
        root.put("version", 2L);
        Map<String, Object> keys = new HashMap<>();
        keys.put(attacker.publicKey().id().hex(), Keys.toJson(attacker.publicKey()));
        root.put("keys", keys);
        Map<String, Object> role = Map.of("keyids", List.of(attacker.publicKey().id().hex()), "threshold", 1L);
        root.put("roles", Map.of("root", role, "targets", role, "snapshot", role, "timestamp", role));
        source.overrides.put("2.root.json", Fixture.sign(root, attacker));
        rejected(SignatureException.class, () -> client.refresh(source, START));
    }

    // ---- attack 4: fast-forward recovery after key rotation; attack 10: key compromise

    @Test
    void rotatingTheTimestampKeyRecoversFromAFastForwardedTimestamp() throws Exception {
        client.refresh(source, START);
        // an attacker holding the timestamp key pushes version 1000000
        Map<String, Object> ts = Fixture.signedOf(repo.repo.fetch("timestamp.json", Long.MAX_VALUE).orElseThrow().content());
        ts.put("version", 1_000_000L);
        source.overrides.put("timestamp.json", Fixture.sign(ts, repo.keys.get(RoleName.TIMESTAMP).get(0)));
        client.refresh(source, START);
        source.overrides.clear();
        // the publisher rotates the timestamp key and publishes timestamp version 3
        repo.keys.put(RoleName.TIMESTAMP, List.of(LocalSigningKey.generate(LocalSigningKey.Type.ED25519)));
        repo.writeRoot(repo.keys.get(RoleName.ROOT), repo.keys.get(RoleName.ROOT), T0.plus(Duration.ofDays(365)));
        repo.publish();
        TrustedMetadata m = client.refresh(source, START);
        assertEquals(2, m.timestampVersion());
        assertEquals(2, m.root().version());
        // and the compromised key no longer counts
        source.overrides.put("timestamp.json", Fixture.sign(ts, LocalSigningKey.generate(LocalSigningKey.Type.ED25519)));
        rejected(SignatureException.class, () -> client.refresh(source, START));
    }

    @Test
    void unchangedTargetsAreVerifiedAgainUnderARotatedRoot() throws Exception {
        client.refresh(source, START);
        client.refresh(source, START); // nothing changed: the targets verified last time are kept
        // the publisher rotates the targets key in a new root, but the repository still serves
        // targets.json signed by the rotated-out key
        repo.keys.put(RoleName.TARGETS, List.of(LocalSigningKey.generate(LocalSigningKey.Type.ED25519)));
        repo.writeRoot(repo.keys.get(RoleName.ROOT), repo.keys.get(RoleName.ROOT), T0.plus(Duration.ofDays(365)));
        SignatureException e = assertThrows(SignatureException.class, () -> client.refresh(source, START));
        assertTrue(e.getMessage().contains("targets"), e.getMessage());
    }

    // ---- attack 5: indefinite freeze

    @Test
    void expiredMetadataIsRejectedAgainstTheFixedStart() throws Exception {
        repo.publisher.publish(repo.repo, new io.patchfleet.trust.api.PublishRequest(List.of(), Set.of(),
                Duration.ofDays(30), Duration.ofHours(1)), repo.signingKeys(), T0);
        Instant late = T0.plus(Duration.ofHours(2));
        ExpiredMetadataException e = rejected(ExpiredMetadataException.class, () -> client.refresh(source, late));
        assertTrue(e.getMessage().contains("timestamp.json"), e.getMessage());
        assertTrue(store.files.containsKey("root"));
    }

    @Test
    void expiredRootIsRejected() throws Exception {
        repo.writeRoot(repo.keys.get(RoleName.ROOT), repo.keys.get(RoleName.ROOT), T0.plus(Duration.ofMinutes(30)));
        assertThrows(ExpiredMetadataException.class, () -> client.refresh(source, T0.plus(Duration.ofHours(1))));
    }

    // ---- attack 6: mix-and-match

    @Test
    void targetsOfAnotherVersionThanTheSnapshotNamesAreRejected() throws Exception {
        repo.publish(patch(OTHER_KERNEL, 2));
        // serve 1.targets.json's bytes under the name of a newer version
        Map<String, Object> snap = Fixture.signedOf(repo.repo.fetch("2.snapshot.json", Long.MAX_VALUE).orElseThrow().content());
        @SuppressWarnings("unchecked")
        Map<String, Object> meta = new HashMap<>((Map<String, Object>) snap.get("meta"));
        meta.put("targets.json", Map.of("version", 2L));
        snap.put("meta", meta);
        snap.put("version", 9L);
        source.overrides.put("9.snapshot.json", Fixture.sign(snap, repo.keys.get(RoleName.SNAPSHOT).get(0)));
        source.overrides.put("2.targets.json", repo.repo.fetch("1.targets.json", Long.MAX_VALUE).orElseThrow().content());
        Map<String, Object> ts = Fixture.signedOf(repo.repo.fetch("timestamp.json", Long.MAX_VALUE).orElseThrow().content());
        ts.put("meta", Map.of("snapshot.json", Map.of("version", 9L)));
        source.overrides.put("timestamp.json", Fixture.sign(ts, repo.keys.get(RoleName.TIMESTAMP).get(0)));
        assertEquals(Reason.VERSION_MISMATCH, rejected(RollbackException.class, () -> client.refresh(source, START),
                "targets").reason());
    }

    @Test
    void snapshotWithOtherHashThanTheTimestampStatesIsRejected() throws Exception {
        byte[] snap1 = repo.repo.fetch("1.snapshot.json", Long.MAX_VALUE).orElseThrow().content();
        repo.publish(patch(KERNEL, 2));
        // the server pairs the new timestamp with an old snapshot renamed to the new version
        source.overrides.put("2.snapshot.json", snap1);
        assertEquals(Reason.VERSION_MISMATCH, rejected(RollbackException.class, () -> client.refresh(source, START),
                "snapshot", "targets").reason());
    }

    @Test
    void delegatedRoleOfAnotherVersionIsRejected() throws Exception {
        byte[] role1 = repo.repo.fetch("1." + KernelRoles.roleFor(KERNEL) + ".json", Long.MAX_VALUE).orElseThrow().content();
        repo.publish(patch(KERNEL, 2));
        client.refresh(source, START);
        source.overrides.put("2." + KernelRoles.roleFor(KERNEL) + ".json", role1);
        assertThrows(RollbackException.class, () -> client.targetsFor(KERNEL, source, START));
    }

    // ---- attack 7: endless data

    @Test
    void oversizedMetadataIsRefusedBeforeParsing() throws Exception {
        byte[] huge = new byte[TufLimits.DEFAULTS.timestampMaxBytes() == 0 ? 1 : (int) TufLimits.DEFAULTS.timestampMaxBytes() + 1];
        java.util.Arrays.fill(huge, (byte) ' ');
        source.overrides.put("timestamp.json", huge);
        MalformedMetadataException e = rejected(MalformedMetadataException.class, () -> client.refresh(source, START));
        assertEquals(Reason.TOO_LARGE, e.reason());
    }

    @Test
    void roleLongerThanTheSnapshotStatesIsRefused() throws Exception {
        client.refresh(source, START);
        String name = "1." + KernelRoles.roleFor(KERNEL) + ".json";
        byte[] real = repo.repo.fetch(name, Long.MAX_VALUE).orElseThrow().content();
        byte[] padded = java.util.Arrays.copyOf(real, real.length + 10);
        java.util.Arrays.fill(padded, real.length, padded.length, (byte) ' ');
        source.overrides.put(name, padded);
        MalformedMetadataException e = assertThrows(MalformedMetadataException.class,
                () -> client.targetsFor(KERNEL, source, START));
        assertEquals(Reason.TOO_LARGE, e.reason());
    }

    // ---- attack 12: malformed metadata; delegations

    @Test
    void malformedTimestampsLeaveTheStateUnchanged() throws Exception {
        client.refresh(source, START);
        byte[] good = repo.repo.fetch("timestamp.json", Long.MAX_VALUE).orElseThrow().content();
        String s = new String(good, StandardCharsets.UTF_8);
        List<String> variants = List.of(
                s.replace("\"signed\":{", "\"signed\":{\"version\":1,"), // duplicate key
                s.replace("\"version\":1}", "\"version\":1.0}"), // float
                s.replace("\"version\":1}", "\"version\":123456789012345678901234}"), // huge number
                s.replace("\"version\":1}", "\"version\":\"1\"}"), // wrong type
                s.replace("\"_type\":\"timestamp\"", "\"_type\":\"snapshot\""), // wrong role type
                s.replace("\"snapshot.json\"", "\"root.json\""), // unknown meta entry
                s + " {}", // trailing data
                s.substring(0, s.length() - 1), // truncated
                "\uFEFF" + s); // byte order mark
        for (String v : variants) {
            assertFalse(v.equals(s), "variant must differ from the original: " + v);
            source.overrides.put("timestamp.json", v.getBytes(StandardCharsets.UTF_8));
            rejected(MalformedMetadataException.class, () -> client.refresh(source, START));
        }
    }

    @Test
    void unknownRoleNameInRootIsRejected() throws Exception {
        Map<String, Object> root = Fixture.signedOf(repo.repo.fetch("1.root.json", Long.MAX_VALUE).orElseThrow().content());
        @SuppressWarnings("unchecked")
        Map<String, Object> roles = new HashMap<>((Map<String, Object>) root.get("roles"));
        roles.put("mirrors", roles.get("timestamp"));
        root.put("roles", roles);
        root.put("version", 2L);
        source.overrides.put("2.root.json", Fixture.sign(root, repo.keys.get(RoleName.ROOT).get(0)));
        MalformedMetadataException e = rejected(MalformedMetadataException.class, () -> client.refresh(source, START));
        assertTrue(e.getMessage().contains("unknown role name"), e.getMessage());
    }

    @Test
    void delegatedRoleSignedByAWrongKeyIsRejected() throws Exception {
        client.refresh(source, START);
        String name = "1." + KernelRoles.roleFor(KERNEL) + ".json";
        Map<String, Object> role = Fixture.signedOf(repo.repo.fetch(name, Long.MAX_VALUE).orElseThrow().content());
        byte[] forged = Fixture.sign(role, repo.keys.get(RoleName.SNAPSHOT).get(0));
        source.overrides.put(name, pad(forged, repo.repo.fetch(name, Long.MAX_VALUE).orElseThrow().length()));
        assertThrows(SignatureException.class, () -> client.targetsFor(KERNEL, source, START));
    }

    @Test
    void delegatedRoleMayNotListTargetsOfAnotherKernel() throws Exception {
        // the targets key signs a role for KERNEL that lists OTHER_KERNEL's module
        Map<String, Object> role = Fixture.signedOf(repo.repo.fetch("1." + KernelRoles.roleFor(OTHER_KERNEL) + ".json",
                Long.MAX_VALUE).orElseThrow().content());
        String name = "1." + KernelRoles.roleFor(KERNEL) + ".json";
        byte[] forged = Fixture.sign(role, repo.keys.get(RoleName.TARGETS).get(0));
        source.overrides.put(name, pad(forged, repo.repo.fetch(name, Long.MAX_VALUE).orElseThrow().length()));
        client.refresh(source, START);
        TargetMismatchException e = assertThrows(TargetMismatchException.class,
                () -> client.targetsFor(KERNEL, source, START));
        assertEquals(Reason.UNKNOWN_TARGET, e.reason());
    }

    /** The snapshot states each role's length: keep forged files the same length to reach the check under test. */
    static byte[] pad(byte[] json, int length) {
        if (json.length > length) {
            throw new IllegalStateException("forged file longer than the original");
        }
        byte[] out = java.util.Arrays.copyOf(json, length);
        java.util.Arrays.fill(out, json.length, length, (byte) ' ');
        return out;
    }
}
