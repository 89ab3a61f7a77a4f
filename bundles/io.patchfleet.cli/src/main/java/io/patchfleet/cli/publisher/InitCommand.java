package io.patchfleet.cli.publisher;

import io.patchfleet.cli.ExitCodes;
import io.patchfleet.trust.api.PublishRequest;
import io.patchfleet.trust.api.RoleKeys;
import io.patchfleet.trust.api.RoleName;
import io.patchfleet.trust.api.SigningKey;
import io.patchfleet.trust.api.TrustException;
import io.patchfleet.trust.api.TrustKey;
import io.patchfleet.trust.tuf.LocalSigningKey;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code patchfleet publisher init}: keys for the four roles and root version 1. */
@Command(name = "init", mixinStandardHelpOptions = true,
        description = {"Create a repository: generate keys for root, targets, snapshot and timestamp, write root",
            "version 1 and empty targets, snapshot and timestamp. Private keys go to DIR/keys/ (folder 0700,",
            "files 0600), encrypted with a passphrase unless --insecure-plain-keys is given."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:created", "2:bad usage", "4:failed (e.g. DIR already holds a repository)",
            "9:no passphrase given, or the two entries differ"},
        footer = {"", "Example:", "  patchfleet publisher init --repo ./repo --root-keys 3 --root-threshold 2",
            "  PATCHFLEET_PASSPHRASE=… patchfleet publisher init --repo ./repo --key-type ecdsa"})
final class InitCommand extends KeyVerb {
    enum KeyType {
        ed25519(LocalSigningKey.Type.ED25519), ecdsa(LocalSigningKey.Type.ECDSA_P256);

        final LocalSigningKey.Type type;

        KeyType(LocalSigningKey.Type type) {
            this.type = type;
        }
    }

    @Option(names = "--key-type", paramLabel = "TYPE", defaultValue = "ed25519",
            description = "ed25519 or ecdsa (ecdsa-sha2-nistp256) (default: ${DEFAULT-VALUE})")
    KeyType keyType;

    @Option(names = "--keys", paramLabel = "N", defaultValue = "1",
            description = "Keys per role for targets, snapshot and timestamp (default: ${DEFAULT-VALUE})")
    int keys;

    @Option(names = "--threshold", paramLabel = "N", defaultValue = "1",
            description = "Signatures each of those roles needs (default: ${DEFAULT-VALUE})")
    int threshold;

    @Option(names = "--root-keys", paramLabel = "N", description = "Keys of the root role (default: --keys)")
    Integer rootKeys;

    @Option(names = "--root-threshold", paramLabel = "N", description = "Signatures the root role needs (default: --threshold)")
    Integer rootThreshold;

    @Option(names = "--root-expiry", paramLabel = "DAYS", defaultValue = "365", description = "Root lifetime (default: ${DEFAULT-VALUE})")
    int rootDays;

    @Option(names = "--expiry", paramLabel = "DAYS", defaultValue = "90",
            description = "Lifetime of targets and snapshot metadata at each signing (default: ${DEFAULT-VALUE})")
    int targetsDays;

    @Option(names = "--timestamp-expiry", paramLabel = "DAYS", defaultValue = "7",
            description = "Lifetime of the timestamp at each signing; run 'sign' more often than this (default: ${DEFAULT-VALUE})")
    int timestampDays;

    @Option(names = "--insecure-plain-keys",
            description = "Write private keys unencrypted (tests and automation that protect the folder otherwise)")
    boolean plainKeys;

    @Override
    int run() throws PublisherException, TrustException, IOException {
        int rk = rootKeys == null ? keys : rootKeys;
        int rt = rootThreshold == null ? threshold : rootThreshold;
        if (keys < 1 || rk < 1 || threshold < 1 || rt < 1 || threshold > keys || rt > rk || keys > 16 || rk > 16) {
            throw new PublisherException(ExitCodes.USAGE, "need 1 <= threshold <= keys <= 16 for every role");
        }
        if (rootDays < 1 || targetsDays < 1 || timestampDays < 1) {
            throw new PublisherException(ExitCodes.USAGE, "expiries must be at least one day");
        }
        PublisherRepository r = repository();
        if (r.exists()) {
            throw new PublisherException(ExitCodes.FAILED, r.dir + " already holds a repository (metadata/root.json); "
                    + "use 'rotate-key' to change keys");
        }
        if (Files.exists(r.keysDir) && !r.keyFiles().isEmpty()) {
            throw new PublisherException(ExitCodes.FAILED, r.keysDir + " already holds key files; remove them or use another folder");
        }
        Passphrase passphrase = passphrase();
        char[] pass = plainKeys ? null : passphrase.newPassphrase();
        Map<RoleName, List<LocalSigningKey>> generated = new EnumMap<>(RoleName.class);
        Map<RoleName, RoleKeys> roles = new EnumMap<>(RoleName.class);
        List<TrustKey> all = new ArrayList<>();
        List<Path> written = new ArrayList<>();
        try (r) {
            for (RoleName role : RoleName.values()) {
                int n = role == RoleName.ROOT ? rk : keys;
                List<LocalSigningKey> ks = new ArrayList<>();
                Set<io.patchfleet.trust.api.KeyId> ids = new LinkedHashSet<>();
                for (int i = 0; i < n; i++) {
                    LocalSigningKey k = LocalSigningKey.generate(keyType.type);
                    ks.add(k);
                    ids.add(k.publicKey().id());
                    all.add(k.publicKey());
                    written.add(r.writeKey(role, k, pass));
                }
                generated.put(role, ks);
                roles.put(role, new RoleKeys(ids, role == RoleName.ROOT ? rt : threshold));
            }
            Instant now = now();
            PublisherRepository.Lifetimes life = new PublisherRepository.Lifetimes(rootDays, targetsDays, timestampDays);
            List<SigningKey> rootSigners = List.copyOf(generated.get(RoleName.ROOT));
            trust.publisher().rotateRoot(r.repo, roles, all, List.of(), rootSigners, now.plus(life.root()));
            Map<RoleName, List<SigningKey>> signers = new EnumMap<>(RoleName.class);
            generated.forEach((role, ks) -> signers.put(role, List.copyOf(ks)));
            trust.publisher().publish(r.repo, new PublishRequest(List.of(), Set.of(), life.targets(), life.timestamp()),
                    signers, now);
            r.writeLifetimes(life);
        } catch (TrustException | IOException | RuntimeException e) {
            for (Path p : written) {
                Files.deleteIfExists(p);
            }
            throw e;
        } finally {
            generated.values().forEach(ks -> ks.forEach(LocalSigningKey::destroy));
            passphrase.clear();
        }
        out().println("Created repository " + r.dir + ": root version 1, " + rk + " root key(s) (threshold " + rt + "), "
                + keys + " key(s) per other role (threshold " + threshold + "), " + keyType + ".");
        out().println((plainKeys ? "UNENCRYPTED private keys" : "Encrypted private keys") + " in " + r.keysDir
                + ". Keep the root keys offline; clients pin metadata/1.root.json.");
        return ExitCodes.OK;
    }
}
