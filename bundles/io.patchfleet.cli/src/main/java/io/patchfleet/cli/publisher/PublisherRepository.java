package io.patchfleet.cli.publisher;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.patchfleet.cli.ExitCodes;
import io.patchfleet.trust.api.KeyId;
import io.patchfleet.trust.api.RoleKeys;
import io.patchfleet.trust.api.RoleName;
import io.patchfleet.trust.api.SigningKey;
import io.patchfleet.trust.api.TrustKey;
import io.patchfleet.trust.tuf.KeyFileException;
import io.patchfleet.trust.tuf.KeyFiles;
import io.patchfleet.trust.tuf.LocalSigningKey;
import io.patchfleet.trust.tuf.RepositoryDirectory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * A publisher repository folder: the TUF files ({@link RepositoryDirectory}), the key files
 * under {@code keys/} (owner-only; retired keys under {@code keys/retired/}) and the metadata
 * lifetimes chosen at {@code init} in {@code publisher.json}. Reads published metadata without
 * verifying it (for key lookup and status); {@code verify} checks it as a client would.
 */
final class PublisherRepository implements AutoCloseable {
    static final ObjectMapper JSON = new ObjectMapper();

    final Path dir;
    final RepositoryDirectory repo;
    final Path keysDir;
    private final List<LocalSigningKey> unlocked = new ArrayList<>();

    PublisherRepository(Path dir) {
        this.dir = dir;
        this.repo = RepositoryDirectory.repository(dir);
        this.keysDir = dir.resolve("keys");
    }

    boolean exists() {
        return Files.isRegularFile(repo.metadataDirectory().resolve("root.json"));
    }

    void requireExisting() throws PublisherException {
        if (!exists()) {
            throw new PublisherException(ExitCodes.FAILED, "no publisher repository in " + dir
                    + " (metadata/root.json is missing): run 'patchfleet publisher init --repo " + dir + "' first");
        }
    }

    // ---- lifetimes (publisher.json)

    record Lifetimes(int rootDays, int targetsDays, int timestampDays) {
        Duration targets() {
            return Duration.ofDays(targetsDays);
        }

        Duration timestamp() {
            return Duration.ofDays(timestampDays);
        }

        Duration root() {
            return Duration.ofDays(rootDays);
        }
    }

    void writeLifetimes(Lifetimes l) throws IOException {
        ObjectNode n = JSON.createObjectNode();
        n.put("rootExpiryDays", l.rootDays()).put("targetsExpiryDays", l.targetsDays())
                .put("timestampExpiryDays", l.timestampDays());
        Files.writeString(dir.resolve("publisher.json"), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(n) + "\n");
    }

    Lifetimes lifetimes() throws IOException {
        Path f = dir.resolve("publisher.json");
        if (!Files.isRegularFile(f)) {
            return new Lifetimes(365, 90, 7);
        }
        JsonNode n = JSON.readTree(f.toFile());
        return new Lifetimes(n.path("rootExpiryDays").asInt(365), n.path("targetsExpiryDays").asInt(90),
                n.path("timestampExpiryDays").asInt(7));
    }

    // ---- published metadata, unverified

    /** The {@code signed} object of a metadata file; empty if the file does not exist. */
    Optional<JsonNode> signed(String fileName) throws PublisherException {
        Path f = repo.metadataDirectory().resolve(fileName);
        try {
            return Optional.of(JSON.readTree(Files.readAllBytes(f)).path("signed"));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new PublisherException(ExitCodes.FAILED, "cannot read " + f + ": " + e.getMessage());
        }
    }

    /** The current root's roles and keys. */
    record Root(long version, Instant expires, Map<RoleName, RoleKeys> roles, Map<KeyId, TrustKey> keys) {
        List<TrustKey> keysOf(RoleName role) {
            return roles.get(role).keyIds().stream().map(keys::get).toList();
        }
    }

    Root root() throws PublisherException {
        requireExisting();
        JsonNode s = signed("root.json").orElseThrow();
        try {
            Map<KeyId, TrustKey> keys = new LinkedHashMap<>();
            s.path("keys").fields().forEachRemaining(e -> keys.put(new KeyId(e.getKey()), new TrustKey(new KeyId(e.getKey()),
                    e.getValue().path("keytype").asText(), e.getValue().path("scheme").asText(),
                    e.getValue().path("keyval").path("public").asText())));
            Map<RoleName, RoleKeys> roles = new EnumMap<>(RoleName.class);
            for (RoleName r : RoleName.values()) {
                JsonNode role = s.path("roles").path(r.wireName());
                Set<KeyId> ids = new LinkedHashSet<>();
                role.path("keyids").forEach(id -> ids.add(new KeyId(id.asText())));
                roles.put(r, new RoleKeys(ids, role.path("threshold").asInt()));
            }
            return new Root(s.path("version").asLong(), Instant.parse(s.path("expires").asText()), roles, keys);
        } catch (RuntimeException e) {
            throw new PublisherException(ExitCodes.FAILED, "metadata/root.json is not a usable root: " + e.getMessage());
        }
    }

    // ---- keys

    /** Writes a new key file under {@code keys/}: encrypted when a passphrase is given. */
    Path writeKey(RoleName role, LocalSigningKey key, char[] passphrase) throws IOException {
        createKeysDir();
        Path f = keysDir.resolve(role.wireName() + "-" + key.publicKey().id().hex().substring(0, 16) + ".json");
        if (passphrase == null) {
            KeyFiles.writePlain(f, key);
        } else {
            KeyFiles.writeEncrypted(f, key, passphrase);
        }
        return f;
    }

    private void createKeysDir() throws IOException {
        if (!Files.isDirectory(keysDir)) {
            Files.createDirectories(keysDir);
        }
        try {
            Files.setPosixFilePermissions(keysDir, PosixFilePermissions.fromString("rwx------"));
        } catch (UnsupportedOperationException e) {
            // not a POSIX file system
        }
    }

    /** The key files in {@code keys/} (not retired) by key id. */
    Map<KeyId, Path> keyFiles() throws IOException {
        Map<KeyId, Path> files = new TreeMap<>((a, b) -> a.hex().compareTo(b.hex()));
        if (!Files.isDirectory(keysDir)) {
            return files;
        }
        try (Stream<Path> s = Files.list(keysDir)) {
            for (Path p : s.filter(p -> p.getFileName().toString().endsWith(".json") && Files.isRegularFile(p)).sorted().toList()) {
                try {
                    files.put(KeyFiles.readPublic(p).id(), p);
                } catch (KeyFileException e) {
                    // not a key file: ignored, verbs report the keys they miss
                }
            }
        }
        return files;
    }

    /** Whether any key file in {@code keys/} is encrypted (then new keys are encrypted too). */
    boolean anyEncryptedKey() throws IOException {
        for (Path p : keyFiles().values()) {
            try {
                if (KeyFiles.isEncrypted(Files.readAllBytes(p))) {
                    return true;
                }
            } catch (KeyFileException e) {
                // listed by keyFiles, so readable; ignore a file damaged since
            }
        }
        return false;
    }

    /** Moves a key file to {@code keys/retired/}: kept, never used again. */
    void retire(KeyId id) throws IOException {
        Path f = keyFiles().get(id);
        if (f != null) {
            Path retired = keysDir.resolve("retired");
            Files.createDirectories(retired);
            Files.move(f, retired.resolve(f.getFileName()), StandardCopyOption.ATOMIC_MOVE);
        }
    }

    /**
     * Unlocks enough keys of {@code role} to meet its threshold in the current root.
     *
     * @throws PublisherException {@code KEY_UNAVAILABLE} when key files are missing or the
     *     passphrase is wrong or missing
     */
    List<SigningKey> signingKeys(Root root, RoleName role, Passphrase passphrase) throws PublisherException, IOException {
        RoleKeys rk = root.roles().get(role);
        Map<KeyId, Path> files = keyFiles();
        List<SigningKey> keys = new ArrayList<>();
        for (KeyId id : rk.keyIds()) {
            if (keys.size() == rk.threshold()) {
                break;
            }
            Path f = files.get(id);
            if (f != null) {
                keys.add(unlock(f, role, passphrase));
            }
        }
        if (keys.size() < rk.threshold()) {
            throw new PublisherException(ExitCodes.KEY_UNAVAILABLE, "missing keys for role " + role.wireName() + ": it needs "
                    + rk.threshold() + " of the keys " + rk.keyIds() + ", found " + keys.size() + " in " + keysDir);
        }
        return keys;
    }

    Map<RoleName, List<SigningKey>> signingKeys(Root root, Passphrase passphrase, RoleName... roles)
            throws PublisherException, IOException {
        Map<RoleName, List<SigningKey>> m = new EnumMap<>(RoleName.class);
        for (RoleName r : roles) {
            m.put(r, signingKeys(root, r, passphrase));
        }
        return m;
    }

    private LocalSigningKey unlock(Path f, RoleName role, Passphrase passphrase) throws PublisherException, IOException {
        try {
            byte[] content = Files.readAllBytes(f);
            LocalSigningKey key = KeyFiles.decode(content, KeyFiles.isEncrypted(content) ? passphrase.get() : null);
            unlocked.add(key);
            return key;
        } catch (KeyFileException e) {
            String why = switch (e.reason()) {
                case WRONG_PASSPHRASE -> "wrong passphrase for the " + role.wireName() + " key " + f.getFileName()
                        + " (or the key file was altered)";
                case PASSPHRASE_REQUIRED -> "the " + role.wireName() + " key " + f.getFileName() + " is encrypted: give its passphrase";
                case MALFORMED -> "the " + role.wireName() + " key file " + f + " is unusable: " + e.getMessage();
            };
            throw new PublisherException(ExitCodes.KEY_UNAVAILABLE, why);
        }
    }

    /** Wipes every key unlocked through this object. */
    @Override
    public void close() {
        unlocked.forEach(LocalSigningKey::destroy);
        unlocked.clear();
    }
}
