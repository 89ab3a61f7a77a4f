package io.patchfleet.sync.http.internal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import io.patchfleet.model.PatchRelease;
import io.patchfleet.model.Sha256;
import io.patchfleet.store.api.BlobInfo;
import io.patchfleet.store.api.BlobInventory;
import io.patchfleet.store.api.BlobStore;
import io.patchfleet.store.api.PatchCatalog;
import io.patchfleet.store.api.StoreException;

/**
 * The integrity check behind {@code patchfleet admin verify-store} ({@code GET
 * /v1/admin/store/verify}): what an operator runs after a crash, a restore or a disk scare.
 *
 * <ul>
 * <li>every catalog release (revoked ones too) has its module in the blob store, with the
 * signed length, and content whose SHA-256 is the signed one;
 * <li>every blob's content hashes to its name, and the store holds no stray files;
 * <li>the sync's download folder holds only resumable {@code .part} files.
 * </ul>
 * Blobs no release refers to (garbage left by an interrupted sync, which retention removes) and
 * {@code .part} files are counted, not problems. Reads every byte once: seconds per GB.
 */
final class StoreVerification {
    private final PatchCatalog catalog;
    private final BlobStore blobs;
    private final Path partialDir;

    StoreVerification(PatchCatalog catalog, BlobStore blobs, Path partialDir) {
        this.catalog = catalog;
        this.blobs = blobs;
        this.partialDir = partialDir;
    }

    Map<String, Object> run() throws StoreException, IOException {
        Instant start = Instant.now();
        List<Map<String, String>> problems = new ArrayList<>();
        BlobInventory inventory = blobs.inventory();
        Map<Sha256, Long> stored = new HashMap<>();
        long bytes = 0;
        for (BlobInfo b : inventory.blobs()) {
            stored.put(b.sha256(), b.length());
            bytes += b.length();
            Sha256 actual = digest(b.sha256());
            if (!actual.equals(b.sha256())) {
                problems.add(problem("corrupt-blob", b.sha256().hex(), "its content has SHA-256 " + actual.hex()));
            }
        }
        for (String stray : inventory.strays()) {
            problems.add(problem("stray-file", "blobs/" + stray, "not a blob: its name is not the SHA-256 of a blob in its folder"));
        }
        List<PatchRelease> releases = catalog.findAll();
        Set<Sha256> referenced = new HashSet<>();
        for (PatchRelease r : releases) {
            referenced.add(r.sha256());
            String item = r.kernel().release() + " " + r.kernel().architecture() + " v" + r.version();
            Long length = stored.get(r.sha256());
            if (length == null) {
                problems.add(problem("missing-blob", item, "the catalog lists it, but module " + r.sha256().hex()
                        + " is not in the blob store"));
            } else if (length != r.length()) {
                problems.add(problem("length-mismatch", item, "module " + r.sha256().hex() + " is " + length
                        + " bytes, the publisher signed " + r.length()));
            }
        }
        int parts = 0;
        if (Files.isDirectory(partialDir)) {
            try (var files = Files.list(partialDir)) {
                for (Path p : files.toList()) {
                    if (p.getFileName().toString().endsWith(".part") && Files.isRegularFile(p)) {
                        parts++;
                    } else {
                        problems.add(problem("stray-file", "sync/partial/" + p.getFileName(), "not a resumable download"));
                    }
                }
            }
        }
        long unreferenced = stored.keySet().stream().filter(s -> !referenced.contains(s)).count();
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("ok", problems.isEmpty());
        out.put("releases", releases.size());
        out.put("blobs", stored.size());
        out.put("bytes", bytes);
        out.put("unreferencedBlobs", unreferenced);
        out.put("partialDownloads", parts);
        out.put("temporaryFiles", inventory.temporary().size());
        out.put("problems", problems);
        out.put("durationMs", Duration.between(start, Instant.now()).toMillis());
        return out;
    }

    private Sha256 digest(Sha256 name) throws StoreException, IOException {
        MessageDigest md = Sha256.newDigest();
        byte[] buf = new byte[256 * 1024];
        try (InputStream in = blobs.open(name, 0)) {
            int n;
            while ((n = in.read(buf)) > 0) {
                md.update(buf, 0, n);
            }
        }
        return Sha256.ofDigest(md.digest());
    }

    private static Map<String, String> problem(String kind, String item, String detail) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("kind", kind);
        m.put("item", item);
        m.put("detail", detail);
        return m;
    }
}
