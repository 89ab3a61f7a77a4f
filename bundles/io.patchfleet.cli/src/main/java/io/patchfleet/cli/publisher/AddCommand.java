package io.patchfleet.cli.publisher;

import io.patchfleet.cli.ExitCodes;
import io.patchfleet.kernel.module.ModuleFormatException;
import io.patchfleet.kernel.module.ModuleInfo;
import io.patchfleet.kernel.module.ModuleInfoReader;
import io.patchfleet.model.Cve;
import io.patchfleet.model.KernelId;
import io.patchfleet.model.PatchRelease;
import io.patchfleet.model.Severity;
import io.patchfleet.model.Sha256;
import io.patchfleet.trust.api.PublishRequest;
import io.patchfleet.trust.api.RoleName;
import io.patchfleet.trust.api.SigningKey;
import io.patchfleet.trust.api.TrustException;
import io.patchfleet.trust.api.VerifiedTarget;
import io.patchfleet.trust.tuf.KernelRoles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code patchfleet publisher add FILE.ko}: publish one livepatch module. */
@Command(name = "add", mixinStandardHelpOptions = true,
        description = {"Publish a livepatch module. Its .modinfo gives the module name, the kernel release (first word",
            "of vermagic) and the livepatch flag; the ELF header gives the architecture. A file that is not an ELF",
            "kernel module, or not a livepatch module (livepatch=Y), is refused. The file is copied to",
            "DIR/targets/<release>/<arch>/<module>-<version>.ko, listed in its kernel's role, and the role,",
            "snapshot and timestamp are signed (targets, snapshot and timestamp keys)."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:published", "2:bad usage", "4:refused or failed (not a livepatch, version not above the published ones, …)",
            "9:a signing key is missing or cannot be unlocked"},
        footer = {"", "Example:",
            "  patchfleet publisher add --repo ./repo --cve CVE-2024-1086:high --cve CVE-2023-52434:medium \\",
            "      --description 'nf_tables use-after-free' lkp_5_15_0_91_generic_3.ko"})
final class AddCommand extends KeyVerb {
    @Parameters(paramLabel = "FILE.ko", description = "The livepatch module (uncompressed)")
    Path module;

    @Option(names = "--patch-version", paramLabel = "N",
            description = "Patch version for this kernel (default: one above the highest published)")
    Long patchVersion;

    @Option(names = "--cve", paramLabel = "ID[:SEVERITY]",
            description = "A fixed CVE, e.g. CVE-2024-1086:high; severity one of unknown, negligible, low, medium, high, critical (repeatable)")
    List<String> cves = new ArrayList<>();

    @Option(names = "--description", paramLabel = "TEXT", defaultValue = "", description = "What the patch fixes")
    String description;

    @Option(names = "--supersedes", paramLabel = "N",
            description = "Highest earlier version this patch replaces (default: the highest published one for a replace=Y module, else 0)")
    Long supersedes;

    @Option(names = "--flavour", paramLabel = "F", description = "Kernel flavour (default: from the release, e.g. generic)")
    String flavour;

    @Override
    int run() throws PublisherException, TrustException, IOException {
        PublisherRepository r = repository();
        PublisherRepository.Root root = r.root();
        if (!Files.isRegularFile(module)) {
            throw new PublisherException(ExitCodes.FAILED, module + ": no such file");
        }
        ModuleInfo info;
        try {
            info = ModuleInfoReader.read(module);
        } catch (ModuleFormatException e) {
            throw new PublisherException(ExitCodes.FAILED, module + " is refused: " + e.getMessage());
        }
        if (!info.isLivepatch()) {
            throw new PublisherException(ExitCodes.FAILED, module + " is refused: it is a kernel module but not a livepatch "
                    + "module (its .modinfo has no livepatch=Y); only livepatch modules can be published");
        }
        String release = info.kernelRelease().orElseThrow(() -> new PublisherException(ExitCodes.FAILED,
                module + " is refused: its .modinfo has no vermagic, so its kernel is unknown"));
        String name = info.name().orElseThrow(() -> new PublisherException(ExitCodes.FAILED,
                module + " is refused: its .modinfo has no name"));
        if (info.architecture().startsWith("unknown-")) {
            throw new PublisherException(ExitCodes.FAILED, module + " is refused: unknown ELF machine " + info.architecture());
        }
        KernelId kernel = new KernelId(release, info.architecture(),
                flavour != null ? flavour : KernelId.flavourOf(release), "");

        long highest = 0;
        for (VerifiedTarget t : r.repo.publishedTargets().values()) {
            if (t.patch().isPresent() && t.patch().get().kernel().release().equals(kernel.release())
                    && t.patch().get().kernel().architecture().equals(kernel.architecture())) {
                highest = Math.max(highest, t.patch().get().version());
            }
        }
        long version = patchVersion != null ? patchVersion : highest + 1;
        boolean replaces = info.field("replace").map("Y"::equals).orElse(false);
        long supersede = supersedes != null ? supersedes : replaces ? Math.min(highest, version - 1) : 0;

        byte[] bytes = Files.readAllBytes(module);
        String targetName = KernelRoles.targetName(kernel, name + "-" + version + ".ko");
        PatchRelease release1 = new PatchRelease(kernel, version, name, targetName, Sha256.digestOf(bytes), bytes.length,
                cves(), description, now(), supersede, false);

        Passphrase passphrase = passphrase();
        try (r) {
            // Keys first: a wrong passphrase leaves nothing behind.
            Map<RoleName, List<SigningKey>> keys = r.signingKeys(root, passphrase, RoleName.TARGETS, RoleName.SNAPSHOT,
                    RoleName.TIMESTAMP);
            Path target = r.repo.targetPath(targetName);
            boolean copied = false;
            if (Files.exists(target)) {
                if (!Arrays.equals(Files.readAllBytes(target), bytes)) {
                    throw new PublisherException(ExitCodes.FAILED, target + " already exists with other bytes; publish a new patch version");
                }
            } else {
                Files.createDirectories(target.getParent());
                Path tmp = Files.createTempFile(target.getParent(), ".add", ".tmp");
                Files.write(tmp, bytes);
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
                copied = true;
            }
            try {
                PublisherRepository.Lifetimes life = r.lifetimes();
                trust.publisher().publish(r.repo, new PublishRequest(List.of(release1), Set.of(), life.targets(),
                        life.timestamp()), keys, now());
            } catch (TrustException | IOException | RuntimeException e) {
                if (copied) {
                    Files.deleteIfExists(target);
                }
                throw e;
            }
        } finally {
            passphrase.clear();
        }
        out().println("Published " + targetName + ": module " + name + ", kernel " + kernel.release() + " "
                + kernel.architecture() + (kernel.flavour().isEmpty() ? "" : " (" + kernel.flavour() + ")")
                + ", patch version " + version + (supersede > 0 ? " (supersedes " + supersede + ")" : "")
                + ", " + bytes.length + " bytes, sha256 " + release1.sha256().hex());
        return ExitCodes.OK;
    }

    private List<Cve> cves() throws PublisherException {
        List<Cve> list = new ArrayList<>();
        for (String c : cves) {
            int colon = c.indexOf(':');
            String id = (colon < 0 ? c : c.substring(0, colon)).toUpperCase(Locale.ROOT);
            Severity severity;
            try {
                severity = colon < 0 ? Severity.UNKNOWN : Severity.fromWire(c.substring(colon + 1).toLowerCase(Locale.ROOT));
                list.add(new Cve(id, severity));
            } catch (IllegalArgumentException e) {
                throw new PublisherException(ExitCodes.USAGE, "--cve " + c + ": " + e.getMessage()
                        + " (expected CVE-YYYY-NNNN[:unknown|negligible|low|medium|high|critical])");
            }
        }
        return list;
    }
}
