package io.patchfleet.cli.publisher;

import io.patchfleet.cli.ExitCodes;
import io.patchfleet.model.PatchRelease;
import io.patchfleet.trust.api.PublishRequest;
import io.patchfleet.trust.api.RoleName;
import io.patchfleet.trust.api.TrustException;
import io.patchfleet.trust.api.VerifiedTarget;
import java.io.IOException;
import java.util.List;
import java.util.Set;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code patchfleet publisher revoke}: withdraw a published patch. */
@Command(name = "revoke", mixinStandardHelpOptions = true,
        description = {"Withdraw a published patch: it stays listed, marked revoked, so clients and servers learn of it;",
            "a revoked patch is never offered and machines running it are told to revert. Give the kernel release,",
            "architecture and patch version, or the target name."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:revoked (or already revoked)", "2:bad usage", "4:no such patch, or failed",
            "9:a signing key is missing or cannot be unlocked"},
        footer = {"", "Example:", "  patchfleet publisher revoke --repo ./repo 5.15.0-91-generic x86_64 3",
            "  patchfleet publisher revoke --repo ./repo --target 5.15.0-91-generic/x86_64/lkp_5_15_0_91-3.ko"})
final class RevokeCommand extends KeyVerb {
    @ArgGroup(exclusive = true, multiplicity = "1")
    Which which;

    static final class Which {
        @ArgGroup(exclusive = false)
        Coordinates coordinates;

        @Option(names = "--target", paramLabel = "NAME", description = "The target name, as 'status' lists it")
        String target;
    }

    static final class Coordinates {
        @Parameters(index = "0", paramLabel = "RELEASE", description = "Kernel release, e.g. 5.15.0-91-generic")
        String release;

        @Parameters(index = "1", paramLabel = "ARCH", description = "Architecture, e.g. x86_64")
        String arch;

        @Parameters(index = "2", paramLabel = "VERSION", description = "Patch version")
        long version;
    }

    @Override
    int run() throws PublisherException, TrustException, IOException {
        PublisherRepository r = repository();
        PublisherRepository.Root root = r.root();
        PatchRelease found = null;
        for (VerifiedTarget t : r.repo.publishedTargets().values()) {
            if (t.patch().isEmpty()) {
                continue;
            }
            PatchRelease p = t.patch().get();
            boolean match = which.target != null ? t.name().equals(which.target)
                    : p.kernel().release().equals(which.coordinates.release)
                            && p.kernel().architecture().equals(which.coordinates.arch)
                            && p.version() == which.coordinates.version;
            if (match) {
                found = p;
            }
        }
        if (found == null) {
            throw new PublisherException(ExitCodes.FAILED, "no such patch is published: "
                    + (which.target != null ? which.target : which.coordinates.release + " " + which.coordinates.arch
                            + " version " + which.coordinates.version) + " (see 'patchfleet publisher status')");
        }
        if (found.revoked()) {
            out().println(found.targetName() + " is already revoked.");
            return ExitCodes.OK;
        }
        Passphrase passphrase = passphrase();
        try (r) {
            PublisherRepository.Lifetimes life = r.lifetimes();
            trust.publisher().publish(r.repo, new PublishRequest(List.of(found.withRevoked(true)), Set.of(), life.targets(),
                    life.timestamp()), r.signingKeys(root, passphrase, RoleName.TARGETS, RoleName.SNAPSHOT, RoleName.TIMESTAMP),
                    now());
        } finally {
            passphrase.clear();
        }
        out().println("Revoked " + found.targetName() + " (kernel " + found.kernel().release() + " "
                + found.kernel().architecture() + ", patch version " + found.version() + ").");
        return ExitCodes.OK;
    }
}
