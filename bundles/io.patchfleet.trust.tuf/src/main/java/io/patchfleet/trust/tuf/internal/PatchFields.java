package io.patchfleet.trust.tuf.internal;

import io.patchfleet.model.Cve;
import io.patchfleet.model.KernelId;
import io.patchfleet.model.PatchRelease;
import io.patchfleet.model.Severity;
import io.patchfleet.model.Sha256;
import io.patchfleet.trust.api.MalformedMetadataException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The Patchfleet fields in a target's {@code custom} object, mapped to and from
 * {@link PatchRelease}. A target is a patch when {@code custom} holds {@code patch_version};
 * then every field below is required and checked (other custom fields are ignored):
 *
 * <pre>
 * "custom": {"kernel_release": "5.15.0-91-generic", "kernel_arch": "x86_64",
 *            "kernel_flavour": "generic", "kernel_build": "#101-Ubuntu SMP ...",
 *            "module": "lkp_5_15_0_91_1", "patch_version": 3, "supersedes": 2,
 *            "cves": [{"id": "CVE-2024-1086", "severity": "high"}],
 *            "description": "...", "published": "2026-01-01T00:00:00Z", "revoked": false}
 * </pre>
 */
final class PatchFields {
    private PatchFields() {}

    static Optional<PatchRelease> read(Fields c, String targetName, long length, String sha256)
            throws MalformedMetadataException {
        if (!c.has("patch_version")) {
            return Optional.empty();
        }
        try {
            KernelId kernel = new KernelId(c.string("kernel_release"), c.string("kernel_arch"),
                    c.string("kernel_flavour"), c.string("kernel_build"));
            List<Object> cveArray = c.array("cves");
            List<Cve> cves = new ArrayList<>(cveArray.size());
            for (int i = 0; i < cveArray.size(); i++) {
                Fields cve = c.element("cves", i, cveArray.get(i));
                cves.add(new Cve(cve.string("id"), Severity.fromWire(cve.string("severity"))));
            }
            return Optional.of(new PatchRelease(kernel, c.integer("patch_version", 1, Long.MAX_VALUE), c.string("module"),
                    targetName, Sha256.of(sha256), length, cves, c.string("description"), c.instant("published"),
                    c.integer("supersedes", 0, Long.MAX_VALUE), c.bool("revoked")));
        } catch (IllegalArgumentException e) {
            throw c.error(e.getMessage());
        }
    }

    static Map<String, Object> write(PatchRelease p) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("kernel_release", p.kernel().release());
        m.put("kernel_arch", p.kernel().architecture());
        m.put("kernel_flavour", p.kernel().flavour());
        m.put("kernel_build", p.kernel().build());
        m.put("module", p.moduleName());
        m.put("patch_version", p.version());
        m.put("supersedes", p.supersedes());
        List<Object> cves = new ArrayList<>();
        for (Cve cve : p.cves()) {
            cves.add(Map.of("id", cve.id(), "severity", cve.severity().wireName()));
        }
        m.put("cves", cves);
        m.put("description", p.description());
        m.put("published", Fields.format(p.publishedAt()));
        m.put("revoked", p.revoked());
        return m;
    }
}
