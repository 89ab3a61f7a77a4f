package io.patchfleet.cli.publisher;

import io.patchfleet.cli.ExitCodes;
import io.patchfleet.trust.api.KeyId;
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
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code patchfleet publisher rotate-key ROLE}: replace a role's keys through a new root. */
@Command(name = "rotate-key", mixinStandardHelpOptions = true,
        description = {"Replace the keys of a role (after a compromise, or routinely): generate new keys, write root",
            "version N+1 naming them, signed by the current root keys and, for the root role, by the new root keys",
            "too (clients chain through every N.root.json), then re-sign what the old keys signed. The old key",
            "files move to DIR/keys/retired/. A timestamp or snapshot rotation also undoes a fast-forward attack."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:rotated", "2:bad usage", "4:failed", "9:a signing key is missing or cannot be unlocked"},
        footer = {"", "Example:", "  patchfleet publisher rotate-key --repo ./repo timestamp",
            "  patchfleet publisher rotate-key --repo ./repo root --keys 3 --threshold 2"})
final class RotateKeyCommand extends KeyVerb {
    @Parameters(paramLabel = "ROLE", description = "root, targets, snapshot or timestamp")
    String role;

    @Option(names = "--keys", paramLabel = "N", description = "Number of new keys (default: as many as now)")
    Integer keys;

    @Option(names = "--threshold", paramLabel = "N", description = "New threshold (default: as now)")
    Integer threshold;

    @Option(names = "--key-type", paramLabel = "TYPE", defaultValue = "ed25519",
            description = "ed25519 or ecdsa (default: ${DEFAULT-VALUE})")
    InitCommand.KeyType keyType;

    @Override
    int run() throws PublisherException, TrustException, IOException {
        RoleName rotated;
        try {
            rotated = RoleName.fromWire(role.toLowerCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new PublisherException(ExitCodes.USAGE, "ROLE must be root, targets, snapshot or timestamp, not " + role);
        }
        PublisherRepository r = repository();
        PublisherRepository.Root root = r.root();
        RoleKeys current = root.roles().get(rotated);
        int n = keys != null ? keys : current.keyIds().size();
        int t = threshold != null ? threshold : Math.min(current.threshold(), n);
        if (n < 1 || n > 16 || t < 1 || t > n) {
            throw new PublisherException(ExitCodes.USAGE, "need 1 <= threshold <= keys <= 16");
        }
        Passphrase passphrase = passphrase();
        List<LocalSigningKey> fresh = new ArrayList<>();
        List<Path> written = new ArrayList<>();
        Instant now = now();
        try (r) {
            List<SigningKey> oldRootKeys = r.signingKeys(root, RoleName.ROOT, passphrase);
            // Existing files are encrypted with the repository passphrase; new ones are too, unless the repository uses plain keys.
            boolean encrypted = r.anyEncryptedKey();
            char[] pass = encrypted ? passphrase.get() : null;
            Set<KeyId> ids = new LinkedHashSet<>();
            for (int i = 0; i < n; i++) {
                LocalSigningKey k = LocalSigningKey.generate(keyType.type);
                fresh.add(k);
                ids.add(k.publicKey().id());
                written.add(r.writeKey(rotated, k, pass));
            }
            Map<RoleName, RoleKeys> roles = new EnumMap<>(root.roles());
            roles.put(rotated, new RoleKeys(ids, t));
            List<TrustKey> all = new ArrayList<>();
            for (RoleName rn : RoleName.values()) {
                if (rn == rotated) {
                    fresh.forEach(k -> all.add(k.publicKey()));
                } else {
                    all.addAll(root.keysOf(rn));
                }
            }
            List<SigningKey> newRootKeys = rotated == RoleName.ROOT ? List.copyOf(fresh.subList(0, t)) : List.of();
            PublisherRepository.Lifetimes life = r.lifetimes();
            trust.publisher().rotateRoot(r.repo, roles, all.stream().distinct().toList(), oldRootKeys, newRootKeys,
                    now.plus(life.root()));
        } catch (PublisherException | TrustException | IOException | RuntimeException e) {
            for (Path p : written) {
                Files.deleteIfExists(p);
            }
            fresh.forEach(LocalSigningKey::destroy);
            passphrase.clear();
            throw e;
        }
        fresh.forEach(LocalSigningKey::destroy);
        for (KeyId old : current.keyIds()) {
            r.retire(old);
        }
        // Re-sign with the keys the new root names: roles the old keys signed no longer verify.
        PublisherRepository.Root newRoot = r.root();
        try (r) {
            PublisherRepository.Lifetimes life = r.lifetimes();
            trust.publisher().publish(r.repo, new PublishRequest(List.of(), Set.of(), life.targets(), life.timestamp()),
                    r.signingKeys(newRoot, passphrase, RoleName.TARGETS, RoleName.SNAPSHOT, RoleName.TIMESTAMP), now);
        } finally {
            passphrase.clear();
        }
        out().println("Rotated the " + rotated.wireName() + " keys: " + n + " new key(s), threshold " + t + ", root version "
                + newRoot.version() + "; old key files moved to " + r.keysDir.resolve("retired") + ".");
        return ExitCodes.OK;
    }
}
