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
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
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
 * is atomic and durable (temp file, fsync, rename). Not safe for concurrent writers.
 */
public final class RepositoryDirectory implements TrustedMetadataStore, MetadataSource {
    private final Path dir;
    private final Path metadata;
    private final boolean keepVersions;
    private final boolean durable;

    private RepositoryDirectory(Path dir, boolean keepVersions, boolean durable) {
        this.dir = Objects.requireNonNull(dir, "dir");
        this.metadata = dir.resolve("metadata");
        this.keepVersions = keepVersions;
        this.durable = durable;
    }

    /** A publisher repository (or a mirror of one): keeps every version of every file. */
    public static RepositoryDirectory repository(Path dir) {
        return new RepositoryDirectory(dir, true, true);
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
        write(role.wireName(), file);
    }

    @Override
    public Optional<MetadataFile> loadDelegated(String role) throws IOException {
        DelegatedTargets.checkRoleName(role);
        return read(role + ".json");
    }

    @Override
    public void saveDelegated(String role, MetadataFile file) throws IOException {
        DelegatedTargets.checkRoleName(role);
        write(role, file);
    }

    private void write(String role, MetadataFile file) throws IOException {
        String current = role + ".json";
        if (keepVersions && !file.name().equals(current)) {
            AtomicFiles.write(metadata.resolve(file.name()), file.content(), false, durable);
        }
        AtomicFiles.write(metadata.resolve(current), file.content(), false, durable);
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
