package io.patchfleet.cli.publisher;

import com.fasterxml.jackson.databind.JsonNode;
import io.patchfleet.cli.ExitCodes;
import io.patchfleet.cli.Output;
import io.patchfleet.model.PatchRelease;
import io.patchfleet.trust.api.RoleKeys;
import io.patchfleet.trust.api.RoleName;
import io.patchfleet.trust.api.TrustException;
import io.patchfleet.trust.api.VerifiedTarget;
import java.io.IOException;
import java.io.PrintWriter;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code patchfleet publisher status}: what the repository publishes. */
@Command(name = "status", mixinStandardHelpOptions = true,
        description = {"Show the repository as published: each role's version, expiry and keys, the kernels (one",
            "delegated role per kernel release and architecture) and the targets of each. Reads the files without",
            "checking signatures; 'verify' checks them."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:shown", "2:bad usage", "4:failed (no repository, unreadable metadata)"},
        footer = {"", "Example:", "  patchfleet publisher status --repo ./repo",
            "  patchfleet publisher status --repo ./repo --format json | jq '.targets[] | select(.revoked)'"})
final class PublisherStatusCommand extends PublisherVerb {
    @Option(names = "--format", paramLabel = "FORMAT", defaultValue = "table",
            description = "table, json or yaml (default: ${DEFAULT-VALUE})")
    Output.Format format;

    @Override
    @SuppressWarnings("unchecked")
    int run() throws PublisherException, TrustException, IOException {
        PublisherRepository r = repository();
        PublisherRepository.Root root = r.root();
        Instant now = now();
        List<Map<String, Object>> roles = new ArrayList<>();
        for (RoleName role : RoleName.values()) {
            Optional<JsonNode> s = r.signed(role.wireName() + ".json");
            RoleKeys rk = root.roles().get(role);
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("role", role.wireName());
            row.put("version", s.map(n -> n.path("version").asLong()).orElse(null));
            String expires = s.map(n -> n.path("expires").asText()).orElse(null);
            row.put("expires", expires);
            row.put("expired", expires != null && !now.isBefore(Instant.parse(expires)));
            row.put("keys", rk.keyIds().size());
            row.put("threshold", rk.threshold());
            row.put("keyIds", rk.keyIds().stream().map(k -> k.hex().substring(0, 16)).sorted().toList());
            roles.add(row);
        }
        Map<String, VerifiedTarget> published = r.repo.publishedTargets();
        Map<String, Map<String, Object>> kernels = new TreeMap<>();
        List<Map<String, Object>> targets = new ArrayList<>();
        Optional<JsonNode> top = r.signed("targets.json");
        if (top.isPresent()) {
            for (JsonNode d : top.get().path("delegations").path("roles")) {
                String name = d.path("name").asText();
                Optional<JsonNode> s = r.signed(name + ".json");
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("role", name);
                row.put("release", null);
                row.put("arch", null);
                row.put("version", s.map(n -> n.path("version").asLong()).orElse(null));
                row.put("expires", s.map(n -> n.path("expires").asText()).orElse(null));
                row.put("targets", s.map(n -> n.path("targets").size()).orElse(0));
                row.put("revoked", 0);
                row.put("latestPatch", null);
                kernels.put(name, row);
            }
        }
        for (VerifiedTarget t : published.values()) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("name", t.name());
            Optional<PatchRelease> p = t.patch();
            row.put("release", p.map(x -> x.kernel().release()).orElse(null));
            row.put("arch", p.map(x -> x.kernel().architecture()).orElse(null));
            row.put("version", p.map(PatchRelease::version).orElse(null));
            row.put("module", p.map(PatchRelease::moduleName).orElse(null));
            row.put("supersedes", p.map(PatchRelease::supersedes).orElse(null));
            row.put("revoked", p.map(PatchRelease::revoked).orElse(false));
            row.put("cves", p.map(x -> x.cves().stream().map(c -> c.id() + ":" + c.severity().wireName()).toList())
                    .orElse(List.of()));
            row.put("length", t.length());
            row.put("sha256", t.sha256().hex());
            row.put("published", p.map(x -> x.publishedAt().toString()).orElse(null));
            targets.add(row);
            if (p.isPresent()) {
                Map<String, Object> k = kernels.get("kernel-" + p.get().kernel().release() + "-" + p.get().kernel().architecture());
                if (k != null) {
                    k.put("release", p.get().kernel().release());
                    k.put("arch", p.get().kernel().architecture());
                    if (p.get().revoked()) {
                        k.put("revoked", (Integer) k.get("revoked") + 1);
                    } else if (k.get("latestPatch") == null || (Long) k.get("latestPatch") < p.get().version()) {
                        k.put("latestPatch", p.get().version());
                    }
                }
            }
        }
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("repository", r.dir.toString());
        result.put("roles", roles);
        result.put("kernels", new ArrayList<>(kernels.values()));
        result.put("targets", targets);
        PrintWriter out = out();
        if (!Output.writeStructured(out, format, result)) {
            out.println("Repository " + r.dir);
            out.println();
            out.println("Roles:");
            Output.table(out, roles.stream().map(m -> {
                Map<String, Object> c = new LinkedHashMap<>(m);
                c.remove("keyIds");
                c.put("expired", Boolean.TRUE.equals(m.get("expired")) ? "EXPIRED" : "no");
                return c;
            }).toList());
            out.println();
            out.println("Kernels:");
            Output.table(out, new ArrayList<>(kernels.values()));
            out.println();
            out.println("Targets:");
            Output.table(out, targets.stream().map(m -> {
                Map<String, Object> c = new LinkedHashMap<>();
                for (String key : List.of("name", "version", "module", "supersedes", "revoked", "cves", "length")) {
                    c.put(key, m.get(key));
                }
                c.put("cves", String.join(",", (List<String>) m.get("cves")));
                return c;
            }).toList());
        }
        return ExitCodes.OK;
    }
}
