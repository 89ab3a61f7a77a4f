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
import io.patchfleet.trust.api.MetadataFile;
import io.patchfleet.trust.api.MetadataSource;
import io.patchfleet.trust.api.RoleName;
import io.patchfleet.trust.api.SignatureException;
import io.patchfleet.trust.api.TrustedMetadata;
import io.patchfleet.trust.tuf.KernelRoles;
import io.patchfleet.trust.tuf.LocalSigningKey;
import io.patchfleet.trust.tuf.RepositoryDirectory;
import io.patchfleet.trust.tuf.TufLimits;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Attacks of REFERENCE.md §TUF that the workflow tests do not cover on their own: slow retrieval
 * (8), wrong target (9) and compromise of a non-root key (10). The table in
 * {@code src/test/README.md} maps every attack to its tests.
 */
class AttackSuiteTest {
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

    // ---- attack 8: slow retrieval (and 7: the source stops at the cap)

    @Test
    void aSourceHonouringMaxLengthRefusesMore() throws Exception {
        byte[] ts = repo.repo.fetch("timestamp.json", Long.MAX_VALUE).orElseThrow().content();
        assertEquals(ts.length, repo.repo.fetch("timestamp.json", ts.length).orElseThrow().length());
        IOException e = assertThrows(IOException.class, () -> repo.repo.fetch("timestamp.json", ts.length - 1));
        assertTrue(e.getMessage().contains("longer than"), e.getMessage());
        // a file that never ends is cut off at the cap, not read to its end
        Path endless = dir.resolve("metadata/endless.json");
        Files.write(endless, new byte[8 * 1024 * 1024]);
        assertThrows(IOException.class, () -> RepositoryDirectory.repository(dir).fetch("endless.json", 1024));
    }

    @Test
    void theVerifierBoundsEveryDownload() throws Exception {
        Map<String, Long> caps = new LinkedHashMap<>();
        MetadataSource recording = (fileName, maxLength) -> {
            caps.put(fileName, maxLength);
            return source.fetch(fileName, maxLength);
        };
        client.refresh(recording, START);
        client.targetsFor(KERNEL, recording, START);
        TufLimits l = TufLimits.DEFAULTS;
        assertEquals(l.rootMaxBytes(), caps.get("2.root.json"));
        assertEquals(l.timestampMaxBytes(), caps.get("timestamp.json"));
        // where signed metadata states a length, that length is the cap
        assertEquals(repo.repo.fetch("1.snapshot.json", Long.MAX_VALUE).orElseThrow().length(), caps.get("1.snapshot.json"));
        String role = "1." + KernelRoles.roleFor(KERNEL) + ".json";
        assertEquals(repo.repo.fetch(role, Long.MAX_VALUE).orElseThrow().length(), caps.get(role));
        caps.values().forEach(c -> assertTrue(c <= l.targetsMaxBytes(), "unbounded download requested: " + caps));
    }

    @Test
    void aStalledSourceFailsTheUpdateAndKeepsTheTrustedState() throws Exception {
        TrustedMetadata before = client.refresh(source, START);
        repo.publish(patch(KERNEL, 2));
        Map<String, MetadataFile> stored = new HashMap<>(store.files);
        MetadataSource stalled = (fileName, maxLength) -> {
            if (fileName.endsWith(".snapshot.json")) {
                throw new SocketTimeoutException("read timed out: below the minimum rate"); // what an HTTP source throws
            }
            return source.fetch(fileName, maxLength);
        };
        assertThrows(SocketTimeoutException.class, () -> client.refresh(stalled, START));
        assertEquals(before, client.current().orElseThrow());
        assertEquals(stored.get("snapshot"), store.files.get("snapshot"));
        assertEquals(stored.get("targets"), store.files.get("targets"));
        assertEquals(2, client.refresh(source, START).snapshotVersion(), "the next update with a working source succeeds");
    }

    // ---- attack 9: wrong target, extraneous dependencies

    @Test
    void aClientGetsOnlyTheTargetsOfItsOwnKernel() throws Exception {
        client.refresh(source, START);
        DelegatedTargets own = client.targetsFor(KERNEL, source, START).orElseThrow();
        assertEquals(List.of(patch(KERNEL, 1).targetName()), List.copyOf(own.targets().keySet()));
        assertFalse(own.target(patch(OTHER_KERNEL, 1).targetName()).isPresent());
        assertTrue(source.fetched.stream().noneMatch(f -> f.contains(KernelRoles.roleFor(OTHER_KERNEL))),
                "another kernel's role is never downloaded: " + source.fetched);
        // a kernel the publisher does not serve gets nothing, not a neighbour's module
        assertTrue(client.targetsFor(io.patchfleet.model.KernelId.of("6.1.0-13-amd64", "x86_64", ""), source, START).isEmpty());
    }

    // ---- attack 10: compromise of a non-root key, revoked by rotation

    @Test
    void aRotatedOutTargetsKeyNoLongerSignsKernelRoles() throws Exception {
        LocalSigningKey compromised = repo.keys.get(RoleName.TARGETS).get(0);
        client.refresh(source, START);
        // before rotation a role forged with the key would be trusted: the key is what protects it
        forgeKernelRole(compromised, 2);
        client.refresh(source, START);
        assertTrue(client.targetsFor(KERNEL, source, START).orElseThrow().target(evilName()).isPresent());

        // the publisher rotates the targets key (root 2) and re-signs every targets role
        client = repo.pinnedClient(store = new Fixture.MemoryStore());
        source.overrides.clear();
        repo.keys.put(RoleName.TARGETS, List.of(LocalSigningKey.generate(LocalSigningKey.Type.ED25519)));
        repo.writeRoot(repo.keys.get(RoleName.ROOT), List.of(), T0.plus(Duration.ofDays(365)));
        repo.publish();
        TrustedMetadata m = client.refresh(source, START);
        assertEquals(2, m.root().version());
        assertTrue(client.targetsFor(KERNEL, source, START).orElseThrow().target(patch(KERNEL, 1).targetName()).isPresent());

        // the same forgery, even listed by a validly signed snapshot, is now rejected
        forgeKernelRole(compromised, 3);
        client.refresh(source, START);
        assertThrows(SignatureException.class, () -> client.targetsFor(KERNEL, source, START));
    }

    private static String evilName() {
        return KernelRoles.targetName(KERNEL, "evil.ko");
    }

    /**
     * Serves a kernel role at {@code roleVersion} signed by {@code key} listing an evil module,
     * and a snapshot and timestamp signed by their real (online) keys listing it: what a server
     * holding a stolen targets key and the online keys could publish.
     */
    private void forgeKernelRole(LocalSigningKey key, long roleVersion) throws Exception {
        String role = KernelRoles.roleFor(KERNEL);
        Map<String, Object> signed = Metadata.header("targets", roleVersion, T0.plus(Duration.ofDays(30)));
        byte[] evil = "evil module".getBytes();
        Map<String, Object> target = new TreeMap<>();
        target.put("length", (long) evil.length);
        target.put("hashes", Map.of("sha256", Sha256.digestOf(evil).hex()));
        signed.put("targets", Map.of(evilName(), target));
        byte[] roleBytes = Fixture.sign(signed, key);
        source.overrides.put(roleVersion + "." + role + ".json", roleBytes);

        MetadataFile snapFile = repo.repo.load(RoleName.SNAPSHOT).orElseThrow();
        Map<String, Object> snap = Fixture.signedOf(snapFile.content());
        long snapVersion = ((Number) snap.get("version")).longValue() + 10;
        @SuppressWarnings("unchecked")
        Map<String, Object> meta = new TreeMap<>((Map<String, Object>) snap.get("meta"));
        meta.put(role + ".json", Map.of("version", roleVersion, "length", (long) roleBytes.length));
        snap.put("meta", meta);
        snap.put("version", snapVersion);
        byte[] snapBytes = Fixture.sign(snap, repo.keys.get(RoleName.SNAPSHOT).get(0));
        source.overrides.put(snapVersion + ".snapshot.json", snapBytes);

        Map<String, Object> ts = Fixture.signedOf(repo.repo.fetch("timestamp.json", Long.MAX_VALUE).orElseThrow().content());
        ts.put("version", ((Number) ts.get("version")).longValue() + 10);
        ts.put("meta", Map.of("snapshot.json", Map.of("version", snapVersion, "length", (long) snapBytes.length,
                "hashes", Map.of("sha256", Sha256.digestOf(snapBytes).hex()))));
        source.overrides.put("timestamp.json", Fixture.sign(ts, repo.keys.get(RoleName.TIMESTAMP).get(0)));
    }
}
