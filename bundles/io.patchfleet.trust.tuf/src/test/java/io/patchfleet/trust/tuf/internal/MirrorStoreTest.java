package io.patchfleet.trust.tuf.internal;

import static io.patchfleet.trust.tuf.internal.Fixture.T0;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.patchfleet.model.KernelId;
import io.patchfleet.model.PatchRelease;
import io.patchfleet.trust.api.MetadataFile;
import io.patchfleet.trust.api.RoleName;
import io.patchfleet.trust.tuf.KernelRoles;
import io.patchfleet.trust.tuf.RepositoryDirectory;
import io.patchfleet.trust.tuf.TufLimits;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A server's mirror store ({@link RepositoryDirectory#mirror}): delegated role files are forced to
 * disk in batches, and a batch a crash interrupted is checked when the mirror is opened again, so
 * a torn file is never kept (and so never served).
 */
class MirrorStoreTest {
    static final Instant NOW = T0.plusSeconds(60);
    static final String MARKER = ".delegated-unsynced";

    @TempDir
    Path dir;

    Fixture publisher;
    Fixture.Source source;
    List<String> roles;
    Path mirrorDir;

    @BeforeEach
    void publish() throws Exception {
        publisher = new Fixture(dir.resolve("publisher"));
        List<PatchRelease> releases = new ArrayList<>();
        roles = new ArrayList<>();
        for (int k = 0; k < 3; k++) {
            KernelId kernel = KernelId.of("6.1.0-" + (10 + k) + "-amd64", "x86_64", "");
            releases.add(Fixture.patch(kernel, 1));
            roles.add(KernelRoles.roleFor(kernel));
        }
        publisher.publish(releases, Set.of(), T0);
        source = new Fixture.Source(publisher.repo);
        mirrorDir = dir.resolve("mirror");
    }

    /** A verifier on the mirror store, as the server's mirror opens it: root 1 stored, pinned. */
    TufVerifier verifier(RepositoryDirectory store) throws Exception {
        if (store.load(RoleName.ROOT).isEmpty()) {
            store.save(RoleName.ROOT, publisher.repo.fetch("1.root.json", Long.MAX_VALUE).orElseThrow());
        }
        return new TufVerifier(publisher.anchor(), store, TufLimits.DEFAULTS);
    }

    /** Refreshes and verifies every role; returns the files fetched from the source. */
    List<String> sync(RepositoryDirectory store) throws Exception {
        TufVerifier v = verifier(store);
        source.fetched.clear();
        v.refresh(source, NOW);
        for (String role : roles) {
            assertEquals(1, v.delegatedTargets(role, source, NOW).targets().size());
        }
        return List.copyOf(source.fetched);
    }

    Path file(String name) {
        return mirrorDir.resolve("metadata").resolve(name);
    }

    @Test
    void delegatedFilesAreForcedTogetherByFlushAndTheMarkerGoes() throws Exception {
        RepositoryDirectory store = RepositoryDirectory.mirror(mirrorDir);
        sync(store);
        assertEquals(2 * roles.size(), store.unsyncedFiles(), "V.role.json and role.json of each role, pending");
        assertTrue(Files.exists(file(MARKER)), "the marker is on disk before the first unforced file");

        store.flush();
        assertEquals(0, store.unsyncedFiles());
        assertFalse(Files.exists(file(MARKER)));

        // Reopened: every role is reused from the store, none fetched again.
        List<String> fetched = sync(RepositoryDirectory.mirror(mirrorDir));
        assertTrue(fetched.stream().noneMatch(f -> f.contains("kernel-")), "fetched again: " + fetched);
        assertFalse(store.metadataFiles().contains(MARKER), "the marker is never listed as metadata");
    }

    @Test
    void aTopLevelSaveFlushesThePendingDelegatedFilesFirst() throws Exception {
        RepositoryDirectory store = RepositoryDirectory.mirror(mirrorDir);
        sync(store);
        assertTrue(store.unsyncedFiles() > 0);

        MetadataFile timestamp = store.load(RoleName.TIMESTAMP).orElseThrow();
        store.save(RoleName.TIMESTAMP, timestamp);
        assertEquals(0, store.unsyncedFiles());
        assertFalse(Files.exists(file(MARKER)));
    }

    @Test
    void otherStoresForceEveryFileAsBefore() throws Exception {
        RepositoryDirectory store = RepositoryDirectory.repository(mirrorDir);
        TufVerifier v = new TufVerifier(publisher.anchor(), store, TufLimits.DEFAULTS);
        store.save(RoleName.ROOT, publisher.repo.fetch("1.root.json", Long.MAX_VALUE).orElseThrow());
        v.refresh(source, NOW);
        v.delegatedTargets(roles.get(0), source, NOW);
        assertFalse(Files.exists(file(MARKER)));
    }

    @Test
    void tornFilesOfAnInterruptedBatchAreDeletedWhenTheMirrorOpensAndFetchedAgain() throws Exception {
        RepositoryDirectory crashed = RepositoryDirectory.mirror(mirrorDir);
        sync(crashed); // no flush: the process "crashed" here, and the power went
        String torn = roles.get(0);
        String empty = roles.get(1);
        String whole = roles.get(2);
        byte[] tornBytes = Files.readAllBytes(file("1." + torn + ".json"));
        Files.write(file("1." + torn + ".json"), Arrays.copyOf(tornBytes, tornBytes.length / 2));
        Files.write(file(empty + ".json"), new byte[0]);
        // A file from before the batch (older than the marker) is not the batch's: left as it is.
        Path older = file("kernel-retired-x86_64.json");
        Files.writeString(older, "{");
        Files.setLastModifiedTime(older, FileTime.from(Files.getLastModifiedTime(file(MARKER)).toInstant().minusSeconds(60)));

        // An older version of the torn role, from an earlier (flushed) batch: not the batch's, it stays.
        Path olderVersion = file("0." + torn + ".json");
        Files.write(olderVersion, tornBytes);
        Files.setLastModifiedTime(olderVersion, Files.getLastModifiedTime(older));

        RepositoryDirectory reopened = RepositoryDirectory.mirror(mirrorDir);

        assertFalse(Files.exists(file(MARKER)), "recovered");
        assertFalse(Files.exists(file("1." + torn + ".json")), "a torn versioned file is deleted, never served");
        assertFalse(Files.exists(file(empty + ".json")), "an empty current copy is deleted");
        assertFalse(Files.exists(file(torn + ".json")) || Files.exists(file("1." + empty + ".json")),
                "a role with a torn file loses both, so that the next sync writes both again");
        assertArrayEquals(publisher.repo.fetch("1." + whole + ".json", Long.MAX_VALUE).orElseThrow().content(),
                Files.readAllBytes(file("1." + whole + ".json")));
        assertTrue(Files.exists(file(whole + ".json")));
        assertTrue(Files.exists(older), "written before the marker: not this batch's");
        assertTrue(Files.exists(olderVersion), "an older version of a torn role is not the batch's either");
        Files.delete(olderVersion);
        Files.delete(older);

        // The next sync fetches exactly the roles that lost a file, and the mirror is whole again.
        List<String> fetched = sync(reopened);
        List<String> roleFetches = fetched.stream().filter(f -> f.contains("kernel-")).sorted().toList();
        assertEquals(List.of("1." + empty + ".json", "1." + torn + ".json").stream().sorted().toList(), roleFetches);
        reopened.flush();
        MetadataFile snapshot = reopened.load(RoleName.SNAPSHOT).orElseThrow();
        for (String role : roles) {
            for (String name : List.of(role + ".json", "1." + role + ".json")) {
                assertTrue(RepositoryFiles.intactDelegated(snapshot, role, name, Files.readAllBytes(file(name))), name);
            }
        }
    }

    @Test
    void withoutASnapshotTheBatchFilesCannotBeCheckedAndAreDeleted() throws Exception {
        RepositoryDirectory crashed = RepositoryDirectory.mirror(mirrorDir);
        sync(crashed);
        Files.delete(file("snapshot.json"));

        RepositoryDirectory.mirror(mirrorDir);

        assertFalse(Files.exists(file(MARKER)));
        for (String role : roles) {
            assertFalse(Files.exists(file(role + ".json")), role);
        }
        assertTrue(Files.exists(file("root.json")) && Files.exists(file("timestamp.json")), "top-level files stay");
    }

    @Test
    void intactDelegatedRefusesOtherVersionsLengthsAndRoles() throws Exception {
        RepositoryDirectory store = RepositoryDirectory.mirror(mirrorDir);
        sync(store);
        MetadataFile snapshot = store.load(RoleName.SNAPSHOT).orElseThrow();
        String role = roles.get(0);
        byte[] content = Files.readAllBytes(file("1." + role + ".json"));
        assertTrue(RepositoryFiles.intactDelegated(snapshot, role, "1." + role + ".json", content));
        assertFalse(RepositoryFiles.intactDelegated(snapshot, role, "2." + role + ".json", content), "another version's name");
        byte[] longer = Arrays.copyOf(content, content.length + 1);
        longer[content.length] = ' ';
        assertFalse(RepositoryFiles.intactDelegated(snapshot, role, role + ".json", longer), "not the snapshot's length or hash");
        assertFalse(RepositoryFiles.intactDelegated(snapshot, "targets", "targets.json", content), "not a delegated role");
    }
}
