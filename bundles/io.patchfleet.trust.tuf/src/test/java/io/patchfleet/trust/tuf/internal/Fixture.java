package io.patchfleet.trust.tuf.internal;

import io.patchfleet.model.Cve;
import io.patchfleet.model.KernelId;
import io.patchfleet.model.PatchRelease;
import io.patchfleet.model.Severity;
import io.patchfleet.model.Sha256;
import io.patchfleet.trust.api.MetadataFile;
import io.patchfleet.trust.api.MetadataSource;
import io.patchfleet.trust.api.PublishRequest;
import io.patchfleet.trust.api.RoleKeys;
import io.patchfleet.trust.api.RoleName;
import io.patchfleet.trust.api.SigningKey;
import io.patchfleet.trust.api.TrustAnchor;
import io.patchfleet.trust.api.TrustException;
import io.patchfleet.trust.api.TrustKey;
import io.patchfleet.trust.api.TrustedMetadataStore;
import io.patchfleet.trust.api.Verifier;
import io.patchfleet.trust.tuf.KernelRoles;
import io.patchfleet.trust.tuf.LocalSigningKey;
import io.patchfleet.trust.tuf.RepositoryDirectory;
import io.patchfleet.trust.tuf.TufLimits;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

/** A publisher repository in a temp folder, its keys, and client-side helpers. */
final class Fixture {
    static final Instant T0 = Instant.parse("2026-03-01T00:00:00Z");
    static final Duration DAY = Duration.ofDays(1);
    static final KernelId KERNEL = KernelId.of("5.15.0-91-generic", "x86_64", "");
    static final KernelId OTHER_KERNEL = KernelId.of("6.8.0-40-generic", "x86_64", "");

    final RepositoryDirectory repo;
    final TufPublisher publisher = new TufPublisher(TufLimits.DEFAULTS);
    final Map<RoleName, List<LocalSigningKey>> keys = new EnumMap<>(RoleName.class);

    Fixture(Path dir) throws Exception {
        this(dir, true);
    }

    Fixture(Path dir, boolean durable) throws Exception {
        repo = durable ? RepositoryDirectory.repository(dir) : RepositoryDirectory.scratch(dir);
        for (RoleName r : RoleName.values()) {
            keys.put(r, List.of(LocalSigningKey.generate(LocalSigningKey.Type.ED25519)));
        }
        writeRoot(List.of(), keys.get(RoleName.ROOT), T0.plus(Duration.ofDays(365)));
    }

    /** Writes the next root with the current {@link #keys}, signed by {@code previous} and the new root keys. */
    MetadataFile writeRoot(List<LocalSigningKey> previous, List<LocalSigningKey> newRoot, Instant expires)
            throws Exception {
        Map<RoleName, RoleKeys> roles = new EnumMap<>(RoleName.class);
        List<TrustKey> all = new ArrayList<>();
        for (RoleName r : RoleName.values()) {
            List<LocalSigningKey> ks = keys.get(r);
            roles.put(r, new RoleKeys(Set.copyOf(ks.stream().map(k -> k.publicKey().id()).toList()), ks.size()));
            ks.forEach(k -> all.add(k.publicKey()));
        }
        return publisher.rotateRoot(repo, roles, all.stream().distinct().toList(), List.copyOf(previous),
                List.copyOf(newRoot), expires);
    }

    Map<RoleName, List<SigningKey>> signingKeys() {
        Map<RoleName, List<SigningKey>> m = new EnumMap<>(RoleName.class);
        keys.forEach((r, ks) -> m.put(r, List.copyOf(ks)));
        return m;
    }

    List<MetadataFile> publish(List<PatchRelease> upsert, Set<String> remove, Instant now) throws Exception {
        return publisher.publish(repo, new PublishRequest(upsert, remove, Duration.ofDays(30), DAY), signingKeys(), now);
    }

    List<MetadataFile> publish(PatchRelease... upsert) throws Exception {
        return publish(List.of(upsert), Set.of(), T0);
    }

    static byte[] module(KernelId kernel, long version) {
        return ("livepatch module " + kernel + " v" + version).getBytes(StandardCharsets.UTF_8);
    }

    static PatchRelease patch(KernelId kernel, long version) {
        byte[] bytes = module(kernel, version);
        String module = "lkp_" + kernel.release().replaceAll("[^A-Za-z0-9]", "_") + "_" + version;
        return new PatchRelease(kernel, version, module, KernelRoles.targetName(kernel, module + ".ko"),
                Sha256.digestOf(bytes), bytes.length, List.of(new Cve("CVE-2024-1086", Severity.HIGH)),
                "fixes use-after-free in nf_tables", T0, version - 1, false);
    }

    TrustAnchor anchor() throws IOException {
        return TrustAnchor.pinned(Sha256.digestOf(repo.fetch("1.root.json", Long.MAX_VALUE).orElseThrow().content()));
    }

    Verifier client(MemoryStore store) throws Exception {
        return new TufVerifier(TrustAnchor.trustOnFirstUse(), store, TufLimits.DEFAULTS);
    }

    /** A client whose store starts with root 1, as a client shipped with the root would. */
    TufVerifier pinnedClient(MemoryStore store) throws Exception {
        store.save(RoleName.ROOT, repo.fetch("1.root.json", Long.MAX_VALUE).orElseThrow());
        return new TufVerifier(anchor(), store, TufLimits.DEFAULTS);
    }

    /** Signs arbitrary {@code signed} content with keys: for crafting attacks. */
    static byte[] sign(Map<String, Object> signed, SigningKey... keys) throws TrustException {
        return Envelopes.sign(signed, List.of(keys));
    }

    /** The {@code signed} part of a file, parsed, mutable. */
    @SuppressWarnings("unchecked")
    static Map<String, Object> signedOf(byte[] file) throws Exception {
        return new java.util.LinkedHashMap<>((Map<String, Object>) Json.parseObject(file, "f", Long.MAX_VALUE).get("signed"));
    }

    /** A trusted store in memory. */
    static final class MemoryStore implements TrustedMetadataStore {
        final Map<String, MetadataFile> files = new HashMap<>();

        @Override
        public Optional<MetadataFile> load(RoleName role) {
            return Optional.ofNullable(files.get(role.wireName()));
        }

        @Override
        public void save(RoleName role, MetadataFile file) {
            files.put(role.wireName(), file);
        }

        @Override
        public Optional<MetadataFile> loadDelegated(String role) {
            return Optional.ofNullable(files.get("delegated:" + role));
        }

        @Override
        public void saveDelegated(String role, MetadataFile file) {
            files.put("delegated:" + role, file);
        }
    }

    /** The repository as the client sees it through a server: overridable per file, counting. */
    static final class Source implements MetadataSource {
        final MetadataSource upstream;
        final Map<String, byte[]> overrides = new HashMap<>();
        final List<String> fetched = new ArrayList<>();
        final AtomicLong bytes = new AtomicLong();

        Source(MetadataSource upstream) {
            this.upstream = upstream;
        }

        @Override
        public Optional<MetadataFile> fetch(String fileName, long maxLength) throws IOException {
            fetched.add(fileName);
            Optional<MetadataFile> f = overrides.containsKey(fileName)
                    ? Optional.ofNullable(overrides.get(fileName)).map(b -> new MetadataFile(fileName, b))
                    : upstream.fetch(fileName, Long.MAX_VALUE);
            f.ifPresent(m -> bytes.addAndGet(m.length()));
            return f; // deliberately no cap here: the verifier must enforce it
        }
    }
}
