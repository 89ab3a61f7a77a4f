package io.patchfleet.cli.publisher;

import io.patchfleet.cli.ExitCodes;
import io.patchfleet.trust.api.PublishRequest;
import io.patchfleet.trust.api.RoleName;
import io.patchfleet.trust.api.SigningKey;
import io.patchfleet.trust.api.TrustException;
import io.patchfleet.trust.api.TrustKey;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code patchfleet publisher sign}: re-sign what needs it and refresh expiries. */
@Command(name = "sign", mixinStandardHelpOptions = true,
        description = {"Re-sign the repository: a new snapshot and timestamp (new versions, fresh expiry), targets roles",
            "whose keys changed or that expire within half their lifetime, and the root when it expires within",
            "30 days (or with --root). Run it more often than the timestamp lifetime (e.g. daily from cron) so",
            "clients never see expired metadata."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:signed", "2:bad usage", "4:failed", "9:a signing key is missing or cannot be unlocked"},
        footer = {"", "Example:", "  PATCHFLEET_PASSPHRASE=… patchfleet publisher sign --repo ./repo",
            "  patchfleet publisher sign --repo ./repo --root --passphrase-file /run/secrets/pf"})
final class SignCommand extends KeyVerb {
    @Option(names = "--root", description = "Also re-sign the root (a new root version) now")
    boolean resignRoot;

    @Option(names = "--expiry", paramLabel = "DAYS", description = "Lifetime of targets and snapshot (default: as chosen at init)")
    Integer targetsDays;

    @Option(names = "--timestamp-expiry", paramLabel = "DAYS", description = "Lifetime of the timestamp (default: as chosen at init)")
    Integer timestampDays;

    @Override
    int run() throws PublisherException, TrustException, IOException {
        PublisherRepository r = repository();
        PublisherRepository.Root root = r.root();
        PublisherRepository.Lifetimes life = r.lifetimes();
        Duration targets = targetsDays != null ? Duration.ofDays(targetsDays) : life.targets();
        Duration timestamp = timestampDays != null ? Duration.ofDays(timestampDays) : life.timestamp();
        if (targets.toDays() < 1 || timestamp.toDays() < 1) {
            throw new PublisherException(ExitCodes.USAGE, "expiries must be at least one day");
        }
        Instant now = now();
        boolean rootDue = resignRoot || root.expires().isBefore(now.plus(Duration.ofDays(30)));
        Passphrase passphrase = passphrase();
        try (r) {
            if (rootDue) {
                List<SigningKey> rootKeys = r.signingKeys(root, RoleName.ROOT, passphrase);
                List<TrustKey> all = root.roles().values().stream().flatMap(rk -> rk.keyIds().stream())
                        .distinct().map(root.keys()::get).toList();
                trust.publisher().rotateRoot(r.repo, root.roles(), all, rootKeys, List.of(), now.plus(life.root()));
            }
            Map<RoleName, List<SigningKey>> keys = r.signingKeys(root, passphrase, RoleName.TARGETS, RoleName.SNAPSHOT,
                    RoleName.TIMESTAMP);
            trust.publisher().publish(r.repo, new PublishRequest(List.of(), Set.of(), targets, timestamp), keys, now);
        } finally {
            passphrase.clear();
        }
        PublisherRepository.Root after = r.root();
        out().println("Signed " + r.dir + ": root version " + after.version() + " (expires " + after.expires() + ")"
                + (rootDue ? ", re-signed" : "") + "; snapshot and timestamp renewed, timestamp expires "
                + now.plus(timestamp) + ".");
        return ExitCodes.OK;
    }
}
