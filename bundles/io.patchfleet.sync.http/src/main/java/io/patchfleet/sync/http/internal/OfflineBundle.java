package io.patchfleet.sync.http.internal;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;

import com.fasterxml.jackson.databind.ObjectMapper;

import io.patchfleet.model.PatchRelease;
import io.patchfleet.model.Sha256;
import io.patchfleet.store.api.BlobStore;
import io.patchfleet.store.api.StoreException;
import io.patchfleet.sync.api.MirrorSource;
import io.patchfleet.sync.api.SyncException;
import io.patchfleet.trust.api.MetadataFile;
import io.patchfleet.trust.api.VerifiedTarget;

/**
 * The air-gap bundle: a zip with {@code manifest.json}, the publisher metadata of the verified
 * mirror verbatim ({@code metadata/<file>}) and modules by digest ({@code blobs/<sha256>}).
 *
 * <p><b>Why no extra signature.</b> What makes a bundle trustworthy is the publisher's TUF
 * signatures it carries: the importing server verifies it exactly as sync does — metadata from
 * its pinned publisher root (signatures, thresholds, versions against rollback, expiry) and every
 * module against its signed length and SHA-256 — so a bundle altered anywhere is refused, and
 * the exporting server (like an upstream) can withhold patches but never inject one. The
 * manifest's digests only catch transport damage early, with a clear message.
 */
final class OfflineBundle {
    static final String FORMAT = "patchfleet-offline-1";
    private static final ObjectMapper JSON = new ObjectMapper();

    private OfflineBundle() {}

    /**
     * Writes a bundle: every metadata file of the mirror, and the modules of {@code releases}.
     *
     * @return the zip bytes
     */
    static byte[] export(Path mirrorMetadata, List<PatchRelease> releases, BlobStore blobs, Instant now, long maxBytes)
            throws IOException, StoreException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        Map<String, String> digests = new LinkedHashMap<>();
        try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
            List<Path> files;
            try (var list = Files.list(mirrorMetadata)) {
                files = list.filter(p -> p.getFileName().toString().endsWith(".json")).sorted().toList();
            }
            for (Path f : files) {
                byte[] content = Files.readAllBytes(f);
                put(zip, "metadata/" + f.getFileName(), content);
                digests.put("metadata/" + f.getFileName(), Sha256.digestOf(content).hex());
            }
            Set<Sha256> done = new HashSet<>();
            for (PatchRelease r : releases) {
                if (!done.add(r.sha256())) {
                    continue;
                }
                if (bytes.size() + r.length() > maxBytes) {
                    throw new IOException("the bundle would exceed " + maxBytes + " bytes; export less (--since, --tier, filters)");
                }
                zip.putNextEntry(new ZipEntry("blobs/" + r.sha256().hex()));
                try (InputStream in = blobs.open(r.sha256(), 0)) {
                    in.transferTo(zip);
                }
                zip.closeEntry();
                digests.put("blobs/" + r.sha256().hex(), r.sha256().hex());
            }
            Map<String, Object> manifest = new LinkedHashMap<>();
            manifest.put("format", FORMAT);
            manifest.put("createdAt", now.toString());
            manifest.put("modules", done.size());
            manifest.put("files", digests);
            put(zip, "manifest.json", JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(manifest));
        }
        return bytes.toByteArray();
    }

    private static void put(ZipOutputStream zip, String name, byte[] content) throws IOException {
        zip.putNextEntry(new ZipEntry(name));
        zip.write(content);
        zip.closeEntry();
    }

    /** An opened bundle as a mirror source; close it after the update. */
    static final class Source implements MirrorSource, AutoCloseable {
        private final ZipFile zip;
        private final Map<String, String> digests;
        private final Path file;
        private final java.util.function.Predicate<PatchRelease> haveLocally;
        private final SyncFilter filter;

        @SuppressWarnings("unchecked")
        Source(Path file, SyncFilter filter, java.util.function.Predicate<PatchRelease> haveLocally) throws SyncException {
            this.file = file;
            this.filter = filter;
            this.haveLocally = haveLocally;
            try {
                this.zip = new ZipFile(file.toFile());
            } catch (IOException e) {
                throw new SyncException(SyncException.Reason.PROTOCOL, "not a Patchfleet offline bundle (not a zip): " + file);
            }
            try {
                ZipEntry m = zip.getEntry("manifest.json");
                if (m == null) {
                    throw new SyncException(SyncException.Reason.PROTOCOL, "not a Patchfleet offline bundle (no manifest.json): " + file);
                }
                Map<String, Object> manifest;
                try (InputStream in = zip.getInputStream(m)) {
                    manifest = JSON.readValue(in.readNBytes(16 * 1024 * 1024), Map.class);
                }
                if (!FORMAT.equals(manifest.get("format")) || !(manifest.get("files") instanceof Map<?, ?>)) {
                    throw new SyncException(SyncException.Reason.PROTOCOL, "unknown offline bundle format " + manifest.get("format"));
                }
                this.digests = (Map<String, String>) manifest.get("files");
            } catch (IOException e) {
                closeQuietly();
                throw new SyncException(SyncException.Reason.PROTOCOL, "unreadable offline bundle manifest: " + e.getMessage(), e);
            } catch (SyncException e) {
                closeQuietly();
                throw e;
            }
        }

        private void closeQuietly() {
            try {
                zip.close();
            } catch (IOException ignored) {
                // nothing to do
            }
        }

        @Override
        public void close() {
            closeQuietly();
        }

        @Override
        public String describe() {
            return "offline bundle " + file;
        }

        @Override
        public boolean wantsRole(String role) {
            return filter.acceptsRole(role);
        }

        @Override
        public boolean wantsRelease(PatchRelease release) {
            if (!filter.accepts(release.kernel())) {
                return false;
            }
            if (release.revoked()) {
                return haveLocally.test(release);
            }
            return zip.getEntry("blobs/" + release.sha256().hex()) != null || haveLocally.test(release);
        }

        @Override
        public Optional<MetadataFile> fetch(String fileName, long maxLength) throws IOException {
            ZipEntry e = zip.getEntry("metadata/" + fileName);
            if (e == null) {
                return Optional.empty();
            }
            byte[] content;
            try (InputStream in = zip.getInputStream(e)) {
                content = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, maxLength + 1));
            }
            if (content.length > maxLength) {
                throw new IOException(fileName + " in the bundle is longer than " + maxLength + " bytes");
            }
            String expected = digests.get("metadata/" + fileName);
            if (expected == null || !expected.equals(Sha256.digestOf(content).hex())) {
                throw new IOException(fileName + " does not match the bundle's manifest", new SyncException(
                        SyncException.Reason.VERIFICATION_FAILED, "the offline bundle is damaged or altered: " + fileName
                                + " does not match its manifest"));
            }
            return Optional.of(new MetadataFile(fileName, content));
        }

        @Override
        public InputStream openTarget(VerifiedTarget target) throws IOException {
            String sha = target.patch().orElseThrow().sha256().hex();
            ZipEntry e = zip.getEntry("blobs/" + sha);
            if (e == null) {
                throw new IOException("module " + target.name() + " is not in the bundle", new SyncException(
                        SyncException.Reason.NOT_FOUND, "module " + target.name() + " is not in the offline bundle"));
            }
            // The mirror checks length and digest against the signed target before storing.
            return zip.getInputStream(e);
        }
    }
}
