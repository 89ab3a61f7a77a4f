package io.patchfleet.trust.tuf;

import io.patchfleet.model.PatchRelease;
import io.patchfleet.trust.api.DelegatedTargets;
import io.patchfleet.trust.api.MalformedMetadataException;
import io.patchfleet.trust.api.MetadataFile;
import io.patchfleet.trust.api.MetadataSource;
import io.patchfleet.trust.api.RoleName;
import io.patchfleet.trust.api.TrustedMetadataStore;
import io.patchfleet.trust.api.VerifiedTarget;
import io.patchfleet.trust.tuf.internal.RepositoryFiles;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * A TUF repository in a folder, or a machine's trusted metadata in a folder. It is both a
 * {@link TrustedMetadataStore} (what the publisher writes to and a verifier saves to) and a
 * {@link MetadataSource} (what a verifier reads from: {@code publisher verify}, offline bundles).
 *
 * <p>Layout:
 * <pre>
 * DIR/metadata/root.json            the newest root (copy of the highest N.root.json)
 * DIR/metadata/N.root.json          every root, 1..N: clients chain through them
 * DIR/metadata/timestamp.json
 * DIR/metadata/V.snapshot.json      (+ snapshot.json, copy of the newest)
 * DIR/metadata/V.targets.json       (+ targets.json)
 * DIR/metadata/V.kernel-R-A.json    one delegated role per kernel series (+ kernel-R-A.json)
 * DIR/targets/R/A/FILE              target files, at their target names (see {@link #targetPath})
 * </pre>
 * A {@linkplain #repository repository} keeps every version, because clients fetch
 * {@code V.<role>.json} by the version they trust (consistent snapshots); a
 * {@linkplain #trustedStore trusted store} keeps only the newest file of each role. Every write
 * is atomic and durable (temp file, fsync, rename), except the delegated role files of a
 * {@linkplain #mirror mirror}, which are made durable in batches. Not safe for concurrent writers.
 */
public final class RepositoryDirectory implements TrustedMetadataStore, MetadataSource {
    private final Path dir;
    private final Path metadata;
    private final boolean keepVersions;
    private final boolean durable;
    /** Delegated role files written atomically but not yet forced to disk ({@link #mirror}); empty otherwise. */
    private final java.util.Set<Path> unsynced = new java.util.LinkedHashSet<>();
    private final boolean batchDelegated;

    /**
     * Present while delegated role files of a {@linkplain #mirror mirror} may not be on disk yet:
     * forced to disk before the first such write, removed once they are.
     */
    static final String UNSYNCED_MARKER = ".delegated-unsynced";

    private RepositoryDirectory(Path dir, boolean keepVersions, boolean durable) {
        this(dir, keepVersions, durable, false);
    }

    private RepositoryDirectory(Path dir, boolean keepVersions, boolean durable, boolean batchDelegated) {
        this.dir = Objects.requireNonNull(dir, "dir");
        this.metadata = dir.resolve("metadata");
        this.keepVersions = keepVersions;
        this.durable = durable;
        this.batchDelegated = batchDelegated;
    }

    /** A publisher repository (or a mirror of one): keeps every version of every file. */
    public static RepositoryDirectory repository(Path dir) {
        return new RepositoryDirectory(dir, true, true);
    }

    /**
     * A server's mirror of an upstream repository: keeps every version like {@link #repository},
     * but the delegated role files a sync writes (one or two per kernel series, hundreds in a
     * first sync) are made durable together by {@link #flush}, not one by one. Each fsync of its
     * own was a journal commit in the middle of the modules' writeback: 200 of them cost a 1 GB
     * sync 0.5-0.7 s (BENCHMARKS.md, sync).
     *
     * <p>Why this is safe: a delegated role file is a cache. Its rollback protection is the
     * snapshot, which names each role's version (and length and hashes) and is still written
     * durably, after {@link #flush} of every earlier delegated file. A verifier reuses a stored role
     * only if it matches the snapshot and its signatures; otherwise it fetches it again. What is
     * left to guard is serving: a torn file after a power loss must never be served as the
     * upstream's metadata. So a marker file is forced to disk before the first unforced write;
     * while it exists, opening the mirror (this method) checks every delegated file written
     * since the marker (by modification time) against the stored snapshot, deletes the torn ones
     * (the next sync fetches them again), forces the rest to disk and removes the marker.
     *
     * @throws IOException if the recovery after an interrupted batch cannot read or fix the folder
     */
    public static RepositoryDirectory mirror(Path dir) throws IOException {
        RepositoryDirectory m = new RepositoryDirectory(dir, true, true, true);
        m.recoverUnsynced();
        return m;
    }

    /**
     * Forces the delegated role files written since the last flush to disk, then removes the
     * marker; a no-op for other kinds of directory and when nothing is pending. Every top-level
     * {@link #save} flushes first, so a snapshot never reaches the disk before the delegated files
     * written under the snapshot before it.
     *
     * @throws IOException if a file could not be forced; they stay pending and the marker stays
     */
    public synchronized void flush() throws IOException {
        if (unsynced.isEmpty()) {
            return;
        }
        // Forced one after the other at the end of a batch: the first fsync commits the journal
        // with every rename of the batch in it; the rest write what data is left.
        for (Path p : unsynced) {
            try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
                ch.force(true);
            } catch (NoSuchFileException e) {
                // replaced or removed since: nothing of it to keep
            }
        }
        AtomicFiles.forceDirectory(metadata);
        unsynced.clear();
        // Not forced: a marker that outlives a power loss only makes the next open check the files again.
        Files.deleteIfExists(metadata.resolve(UNSYNCED_MARKER));
    }

    /** Number of delegated role files written and not yet forced to disk; for tests. */
    public synchronized int unsyncedFiles() {
        return unsynced.size();
    }

    private void recoverUnsynced() throws IOException {
        Path marker = metadata.resolve(UNSYNCED_MARKER);
        if (!Files.exists(marker)) {
            return;
        }
        java.nio.file.attribute.FileTime since = Files.getLastModifiedTime(marker);
        Optional<MetadataFile> snapshot = read("snapshot.json");
        java.util.List<Path> written = new java.util.ArrayList<>();
        try (Stream<Path> s = Files.list(metadata)) {
            s.filter(p -> delegatedRoleOf(p.getFileName().toString()) != null).forEach(written::add);
        }
        // A role with a torn file loses its current copy and what the batch wrote of it: the
        // verifier fetches a role again only when its current copy is missing or wrong, and that
        // also writes the versioned file downstream servers ask for. Older versions stay.
        java.util.Set<String> torn = new java.util.HashSet<>();
        java.util.List<Path> recent = new java.util.ArrayList<>();
        java.util.List<Path> whole = new java.util.ArrayList<>();
        for (Path p : written) {
            if (Files.getLastModifiedTime(p).compareTo(since) < 0) {
                continue; // written before the marker: forced by an earlier flush
            }
            recent.add(p);
            String name = p.getFileName().toString();
            String role = delegatedRoleOf(name);
            if (snapshot.isPresent() && RepositoryFiles.intactDelegated(snapshot.get(), role, name, Files.readAllBytes(p))) {
                whole.add(p);
            } else {
                torn.add(role); // torn, or not checkable without a snapshot: fetched again by the next sync
            }
        }
        for (Path p : recent) {
            if (torn.contains(delegatedRoleOf(p.getFileName().toString()))) {
                Files.deleteIfExists(p);
            }
        }
        for (String role : torn) {
            Files.deleteIfExists(metadata.resolve(role + ".json"));
        }
        for (Path p : whole) {
            if (Files.exists(p)) {
                try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
                    ch.force(true);
                }
            }
        }
        AtomicFiles.forceDirectory(metadata);
        Files.delete(marker);
    }

    /** The delegated role a metadata file name holds ({@code R.json} or {@code V.R.json}), or null for top-level roles and others. */
    private static String delegatedRoleOf(String name) {
        if (!name.endsWith(".json") || name.startsWith(".")) {
            return null;
        }
        String base = name.substring(0, name.length() - ".json".length());
        int dot = base.indexOf('.');
        if (dot > 0 && base.substring(0, dot).chars().allMatch(Character::isDigit)) {
            base = base.substring(dot + 1);
        }
        for (RoleName r : RoleName.values()) {
            if (r.wireName().equals(base)) {
                return null;
            }
        }
        try {
            DelegatedTargets.checkRoleName(base);
            return base;
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /** A client's trusted state: keeps the newest file of each role only. */
    public static RepositoryDirectory trustedStore(Path dir) {
        return new RepositoryDirectory(dir, false, true);
    }

    /**
     * A repository like {@link #repository}, whose writes are atomic (temp file, rename) but not
     * forced to disk: they survive a crashed process, not a power loss. For tests, benchmarks
     * and scratch copies, where one fsync per file dominates (a first import of 500 kernel roles
     * writes 1,000 files).
     */
    public static RepositoryDirectory scratch(Path dir) {
        return new RepositoryDirectory(dir, true, false);
    }

    /** The repository folder. */
    public Path directory() {
        return dir;
    }

    /** The folder of the metadata files. */
    public Path metadataDirectory() {
        return metadata;
    }

    @Override
    public Optional<MetadataFile> load(RoleName role) throws IOException {
        return read(role.wireName() + ".json");
    }

    @Override
    public void save(RoleName role, MetadataFile file) throws IOException {
        flush(); // delegated files of the previous snapshot on disk before the next top-level file
        write(role.wireName(), file, durable);
    }

    @Override
    public Optional<MetadataFile> loadDelegated(String role) throws IOException {
        DelegatedTargets.checkRoleName(role);
        return read(role + ".json");
    }

    @Override
    public void saveDelegated(String role, MetadataFile file) throws IOException {
        DelegatedTargets.checkRoleName(role);
        if (!batchDelegated) {
            write(role, file, durable);
            return;
        }
        synchronized (this) {
            if (unsynced.isEmpty()) {
                // On disk before any unforced file: a power loss from here on leaves the marker for recoverUnsynced.
                AtomicFiles.write(metadata.resolve(UNSYNCED_MARKER), new byte[0], false, true);
            }
            String current = role + ".json";
            if (keepVersions && !file.name().equals(current)) {
                unsynced.add(metadata.resolve(file.name()));
            }
            unsynced.add(metadata.resolve(current));
            write(role, file, false);
        }
    }

    private void write(String role, MetadataFile file, boolean force) throws IOException {
        String current = role + ".json";
        if (keepVersions && !file.name().equals(current)) {
            AtomicFiles.write(metadata.resolve(file.name()), file.content(), false, force);
        }
        AtomicFiles.write(metadata.resolve(current), file.content(), false, force);
    }

    private Optional<MetadataFile> read(String name) throws IOException {
        try {
            return Optional.of(new MetadataFile(name, Files.readAllBytes(metadata.resolve(name))));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
    }

    @Override
    public Optional<MetadataFile> fetch(String fileName, long maxLength) throws IOException {
        new MetadataFile(fileName, new byte[0]); // validates the name: no paths
        Path p = metadata.resolve(fileName);
        if (!Files.isRegularFile(p)) {
            return Optional.empty();
        }
        try (InputStream in = Files.newInputStream(p)) {
            byte[] bytes = in.readNBytes(maxLength >= Integer.MAX_VALUE - 9 ? Integer.MAX_VALUE - 8 : (int) maxLength + 1);
            if (bytes.length > maxLength) {
                throw new IOException(fileName + " is longer than " + maxLength + " bytes");
            }
            return Optional.of(new MetadataFile(fileName, bytes));
        }
    }

    /**
     * Where the file of a target lives: {@code DIR/targets/<targetName>}.
     *
     * @throws IllegalArgumentException if {@code targetName} is not a valid target name
     */
    public Path targetPath(String targetName) {
        PatchRelease.checkTargetName(targetName);
        return dir.resolve("targets").resolve(targetName);
    }

    /**
     * Every target the newest delegated role files list, by name, as published, without
     * verifying signatures: for {@code status} and for finding a release to revoke. Use a
     * {@link io.patchfleet.trust.api.Verifier} on this folder to check it as a client would.
     *
     * @throws MalformedMetadataException if a role file cannot be parsed
     */
    public Map<String, VerifiedTarget> publishedTargets() throws IOException, MalformedMetadataException {
        Map<String, VerifiedTarget> all = new TreeMap<>();
        Optional<MetadataFile> top = load(RoleName.TARGETS);
        if (top.isEmpty()) {
            return all;
        }
        all.putAll(RepositoryFiles.targets(top.get(), "targets"));
        for (String role : RepositoryFiles.delegatedRoles(top.get())) {
            Optional<MetadataFile> f = loadDelegated(role);
            if (f.isPresent()) {
                all.putAll(RepositoryFiles.targets(f.get(), role));
            }
        }
        return all;
    }

    /** Names of the files in the metadata folder, sorted; for status output and tests. */
    public java.util.List<String> metadataFiles() throws IOException {
        if (!Files.isDirectory(metadata)) {
            return java.util.List.of();
        }
        try (Stream<Path> s = Files.list(metadata)) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".json") && !n.startsWith("."))
                    .sorted().toList();
        }
    }
}
