package io.patchfleet.cli.publisher;

import io.patchfleet.cli.ExitCodes;
import io.patchfleet.cli.Output;
import io.patchfleet.model.Sha256;
import io.patchfleet.trust.api.DelegatedTargets;
import io.patchfleet.trust.api.ExpiredMetadataException;
import io.patchfleet.trust.api.MetadataFile;
import io.patchfleet.trust.api.RoleName;
import io.patchfleet.trust.api.TargetMismatchException;
import io.patchfleet.trust.api.TrustAnchor;
import io.patchfleet.trust.api.TrustException;
import io.patchfleet.trust.api.TrustedMetadata;
import io.patchfleet.trust.api.VerifiedTarget;
import io.patchfleet.trust.api.Verifier;
import io.patchfleet.trust.tuf.TargetVerification;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code patchfleet publisher verify}: check the repository as a client would. */
@Command(name = "verify", mixinStandardHelpOptions = true,
        description = {"Check the repository as a new client would: trust metadata/1.root.json, follow the root chain,",
            "then timestamp, snapshot, targets and every kernel role (signatures and thresholds, versions, hashes,",
            "lengths, expiry at one start time), then every target file's length, SHA-256 and SHA-512. Lists every",
            "problem found. Files under targets/ that no role lists are reported, not counted as failures."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:the repository verifies", "2:bad usage", "4:failed (no repository, I/O error)",
            "8:the repository does not verify: a signature, expiry, version, or a target's bytes"},
        footer = {"", "Example:", "  patchfleet publisher verify --repo ./repo",
            "  patchfleet publisher verify --repo ./repo --at 2026-12-24T00:00:00Z   # still valid then?"})
final class VerifyCommand extends PublisherVerb {
    @Option(names = "--at", paramLabel = "INSTANT",
            description = "Check expiry as of this time (RFC 3339, e.g. 2026-12-24T00:00:00Z) instead of now")
    Instant at;

    @Option(names = "--format", paramLabel = "FORMAT", defaultValue = "humane",
            description = "humane, json or yaml (default: ${DEFAULT-VALUE})")
    Output.Format format;

    @Override
    int run() throws PublisherException, TrustException, IOException {
        PublisherRepository r = repository();
        r.requireExisting();
        Instant start = at != null ? at : now();
        List<String> problems = new ArrayList<>();
        List<String> notes = new ArrayList<>();
        Map<String, VerifiedTarget> targets = new TreeMap<>();
        TrustedMetadata md = null;
        Optional<MetadataFile> first = r.repo.fetch("1.root.json", 512 * 1024);
        if (first.isEmpty()) {
            problems.add("metadata/1.root.json is missing: clients have no root to start from");
        } else {
            MemoryStore store = new MemoryStore();
            store.save(RoleName.ROOT, first.get());
            Verifier v = trust.open(TrustAnchor.pinned(Sha256.digestOf(first.get().content())), store);
            try {
                md = v.refresh(r.repo, start);
            } catch (TrustException e) {
                problems.add(describe("metadata", e));
            }
            if (md != null) {
                targets.putAll(md.targets());
                for (String role : new TreeMap<>(md.delegatedRoles()).keySet()) {
                    try {
                        DelegatedTargets dt = v.delegatedTargets(role, r.repo, start);
                        targets.putAll(dt.targets());
                    } catch (TrustException e) {
                        problems.add(describe("role " + role, e));
                    }
                }
            }
        }
        int revoked = 0;
        for (VerifiedTarget t : targets.values()) {
            revoked += t.patch().map(p -> p.revoked() ? 1 : 0).orElse(0);
            Path file = r.repo.targetPath(t.name());
            if (!Files.isRegularFile(file)) {
                problems.add("target " + t.name() + ": file missing (" + file + ")");
                continue;
            }
            try {
                TargetVerification.verify(t, file);
            } catch (TargetMismatchException e) {
                problems.add("target " + e.getMessage().replaceFirst("^target ", ""));
            }
        }
        Path targetsDir = r.dir.resolve("targets");
        if (Files.isDirectory(targetsDir)) {
            try (Stream<Path> s = Files.walk(targetsDir)) {
                s.filter(Files::isRegularFile).map(p -> targetsDir.relativize(p).toString().replace('\\', '/'))
                        .filter(n -> !n.startsWith(".") && !n.contains("/.") && !targets.containsKey(n)).sorted()
                        .forEach(n -> notes.add("targets/" + n + " is not listed by any role: clients never install it"));
            }
        }
        boolean ok = problems.isEmpty();
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("ok", ok);
        result.put("checkedAt", start.toString());
        if (md != null) {
            result.put("rootVersion", md.root().version());
            result.put("timestampVersion", md.timestampVersion());
            result.put("snapshotVersion", md.snapshotVersion());
            result.put("targetsVersion", md.targetsVersion());
            result.put("expires", md.expires().toString());
            result.put("kernelRoles", md.delegatedRoles().size());
        }
        result.put("targets", targets.size());
        result.put("revoked", revoked);
        result.put("problems", problems);
        result.put("notes", notes);
        PrintWriter out = out();
        if (!Output.writeStructured(out, format, result)) {
            if (ok) {
                out.println("OK: " + r.dir + " verifies as of " + start + ": root version " + md.root().version()
                        + ", timestamp " + md.timestampVersion() + ", snapshot " + md.snapshotVersion() + ", targets "
                        + md.targetsVersion() + ", " + md.delegatedRoles().size() + " kernel role(s), " + targets.size()
                        + " target(s) (" + revoked + " revoked), bytes match. Earliest expiry: " + md.expires() + ".");
            } else {
                err().println("FAILED: " + r.dir + " does not verify as of " + start + " (" + problems.size() + " problem(s)):");
                problems.forEach(p -> err().println("  " + p));
            }
            notes.forEach(n -> out.println("note: " + n));
        }
        return ok ? ExitCodes.OK : ExitCodes.VERIFY_FAILED;
    }

    private static String describe(String what, TrustException e) {
        String hint = e instanceof ExpiredMetadataException ? " (expired metadata: run 'patchfleet publisher sign')" : "";
        return what + ": " + e.reason().wireName() + ": " + e.getMessage() + hint;
    }
}
