package io.patchfleet.trust.tuf.internal;

import io.patchfleet.model.PatchRelease;
import io.patchfleet.model.Sha256;
import io.patchfleet.trust.api.KeyId;
import io.patchfleet.trust.api.MetadataFile;
import io.patchfleet.trust.api.MetadataPublisher;
import io.patchfleet.trust.api.PublishRequest;
import io.patchfleet.trust.api.RoleKeys;
import io.patchfleet.trust.api.RoleName;
import io.patchfleet.trust.api.SignatureException;
import io.patchfleet.trust.api.SigningKey;
import io.patchfleet.trust.api.TrustException;
import io.patchfleet.trust.api.TrustException.Reason;
import io.patchfleet.trust.api.TrustKey;
import io.patchfleet.trust.api.TrustedMetadataStore;
import io.patchfleet.trust.api.VerifiedTarget;
import io.patchfleet.trust.tuf.KernelRoles;
import io.patchfleet.trust.tuf.TufLimits;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.TreeMap;

/**
 * Writes and signs a consistent-snapshot repository: {@code N.root.json},
 * {@code V.targets.json}, {@code V.<role>.json} per kernel series ({@link KernelRoles}),
 * {@code V.snapshot.json} and {@code timestamp.json}. Delegated roles are signed by the
 * top-level targets keys and threshold, which the top-level targets role delegates to.
 */
public final class TufPublisher implements MetadataPublisher {
    private final TufLimits limits;

    public TufPublisher(TufLimits limits) {
        this.limits = Objects.requireNonNull(limits, "limits");
    }

    @Override
    public MetadataFile rotateRoot(TrustedMetadataStore repository, Map<RoleName, RoleKeys> roles, List<TrustKey> keys,
            List<SigningKey> previousRootKeys, List<SigningKey> newRootKeys, Instant expires)
            throws TrustException, IOException {
        Objects.requireNonNull(roles, "roles");
        Optional<MetadataFile> current = repository.load(RoleName.ROOT);
        Metadata.Root old = current.isPresent() ? parseRoot(current.get()) : null;
        long version = old == null ? 1 : old.version() + 1;
        Map<KeyId, TrustKey> keyMap = new TreeMap<>((a, b) -> a.hex().compareTo(b.hex()));
        for (TrustKey k : keys) {
            TrustKey computed = Keys.key(k.keyType(), k.scheme(), k.publicKey());
            if (!computed.id().equals(k.id())) {
                throw new IllegalArgumentException("key " + k.id() + " does not have the id of its content: " + computed.id());
            }
            keyMap.put(k.id(), k);
        }
        Map<String, Object> roleJson = new TreeMap<>();
        for (RoleName r : RoleName.values()) {
            RoleKeys rk = roles.get(r);
            if (rk == null) {
                throw new IllegalArgumentException("no keys given for role " + r.wireName());
            }
            for (KeyId id : rk.keyIds()) {
                if (!keyMap.containsKey(id)) {
                    throw new IllegalArgumentException("role " + r.wireName() + " names key " + id + ", which is not given");
                }
            }
            roleJson.put(r.wireName(), Metadata.roleJson(rk));
        }
        Map<String, Object> signed = Metadata.header("root", version, expires);
        signed.put("consistent_snapshot", true);
        signed.put("keys", Metadata.keysJson(keyMap));
        signed.put("roles", roleJson);
        List<SigningKey> signers = new ArrayList<>(previousRootKeys);
        signers.addAll(newRootKeys);
        byte[] bytes = Envelopes.sign(signed, signers);
        String name = version + ".root.json";
        Metadata.Root root = parseRoot(new MetadataFile(name, bytes));
        requireThreshold(root.file(), "new root", root.keys(), root.roles().get(RoleName.ROOT));
        if (old != null) {
            requireThreshold(root.file(), "previous root", old.keys(), old.roles().get(RoleName.ROOT));
        }
        MetadataFile file = new MetadataFile(name, bytes);
        repository.save(RoleName.ROOT, file);
        return file;
    }

    @Override
    public List<MetadataFile> publish(TrustedMetadataStore repository, PublishRequest request,
            Map<RoleName, List<SigningKey>> keys, Instant now) throws TrustException, IOException {
        Objects.requireNonNull(request, "request");
        Objects.requireNonNull(keys, "keys");
        Objects.requireNonNull(now, "now");
        Metadata.Root root = parseRoot(repository.load(RoleName.ROOT).orElseThrow(() -> new TrustException(
                Reason.SIGNING_FAILED, "the repository has no root: create one first (rotateRoot)")));
        Metadata.Targets top = null;
        Optional<MetadataFile> topFile = repository.load(RoleName.TARGETS);
        if (topFile.isPresent()) {
            top = Metadata.targets(Signed.parse(topFile.get().content(), topFile.get().name(),
                    limits.targetsMaxBytes(), "targets"), "targets");
        }
        RoleKeys targetsKeys = root.roles().get(RoleName.TARGETS);
        Map<KeyId, TrustKey> delegationKeys = new TreeMap<>((a, b) -> a.hex().compareTo(b.hex()));
        targetsKeys.keyIds().forEach(id -> delegationKeys.put(id, root.keys().get(id)));

        // Current state of every delegated role.
        Map<String, Metadata.Targets> roles = new TreeMap<>();
        Map<String, List<String>> paths = new TreeMap<>();
        Map<String, Map<String, Map<String, Object>>> content = new TreeMap<>();
        if (top != null) {
            for (Metadata.Delegation d : top.delegations()) {
                MetadataFile f = repository.loadDelegated(d.name()).orElseThrow(() -> new IOException(
                        "the repository lacks the file of delegated role " + d.name()));
                Metadata.Targets t = Metadata.targets(Signed.parse(f.content(), f.name(), limits.delegatedMaxBytes(),
                        "targets"), d.name());
                roles.put(d.name(), t);
                paths.put(d.name(), d.paths());
                content.put(d.name(), new TreeMap<>(t.targetJson()));
            }
        }
        List<String> changed = new ArrayList<>();
        for (PatchRelease p : request.upsert()) {
            if (!KernelRoles.isInRole(p)) {
                throw new IllegalArgumentException("target " + p.targetName() + " must be named <release>/<arch>/<file> "
                        + "of its kernel, e.g. " + KernelRoles.targetName(p.kernel(), p.moduleName() + ".ko"));
            }
            String role = KernelRoles.roleFor(p.kernel());
            Map<String, Map<String, Object>> targets = content.computeIfAbsent(role, r -> new TreeMap<>());
            paths.putIfAbsent(role, List.of(KernelRoles.pathPattern(p.kernel())));
            Metadata.Targets existingRole = roles.get(role);
            VerifiedTarget existing = existingRole == null ? null : existingRole.targets().get(p.targetName());
            if (existing != null) {
                PatchRelease old = existing.patch().orElse(null);
                if (old == null || old.version() != p.version() || !old.sha256().equals(p.sha256())
                        || old.length() != p.length()) {
                    throw new IllegalArgumentException("target " + p.targetName()
                            + " is already published with other content or version; publish a new patch version instead");
                }
            } else if (existingRole != null) {
                long highest = existingRole.targets().values().stream().flatMap(t -> t.patch().stream())
                        .mapToLong(PatchRelease::version).max().orElse(0);
                if (p.version() <= highest) {
                    throw new IllegalArgumentException("patch version " + p.version() + " of " + p.targetName()
                            + " is not above the highest published version " + highest + " of kernel series " + role);
                }
            }
            VerifiedTarget t = new VerifiedTarget(p.targetName(), p.length(), Map.of("sha256", p.sha256().hex()),
                    Optional.of(p));
            targets.put(p.targetName(), Metadata.targetJson(t));
            if (!changed.contains(role)) {
                changed.add(role);
            }
        }
        for (String name : request.remove()) {
            String holder = null;
            for (Map.Entry<String, Map<String, Map<String, Object>>> e : content.entrySet()) {
                if (e.getValue().containsKey(name)) {
                    holder = e.getKey();
                }
            }
            if (holder == null) {
                throw new IllegalArgumentException("target " + name + " is not published");
            }
            content.get(holder).remove(name);
            if (!changed.contains(holder)) {
                changed.add(holder);
            }
        }

        List<MetadataFile> written = new ArrayList<>();
        Instant targetsExpires = now.plus(request.targetsLifetime());
        Map<String, Metadata.MetaInfo> snapshotMeta = new TreeMap<>();
        for (Map.Entry<String, Map<String, Map<String, Object>>> e : content.entrySet()) {
            String role = e.getKey();
            Metadata.Targets old = roles.get(role);
            boolean resign = old == null || changed.contains(role)
                    || !signedBy(old.file(), delegationKeys, targetsKeys)
                    || nearExpiry(old.expires(), now, request.targetsLifetime());
            if (resign) {
                long version = old == null ? 1 : old.version() + 1;
                Map<String, Object> signed = Metadata.header("targets", version, targetsExpires);
                signed.put("targets", e.getValue());
                byte[] bytes = sign(signed, RoleName.TARGETS, "delegated role " + role, keys, root);
                MetadataFile f = new MetadataFile(version + "." + role + ".json", bytes);
                written.add(f);
                snapshotMeta.put(role, new Metadata.MetaInfo(version, OptionalLong.of(bytes.length), Map.of()));
            } else {
                snapshotMeta.put(role, new Metadata.MetaInfo(old.version(), OptionalLong.of(old.file().bytes.length),
                        Map.of()));
            }
        }

        // Top-level targets: its own targets unchanged, one delegation per kernel series.
        Map<String, Object> delegations = new LinkedHashMap<>();
        delegations.put("keys", Metadata.keysJson(delegationKeys));
        List<Object> delegationList = new ArrayList<>();
        for (Map.Entry<String, List<String>> e : paths.entrySet()) {
            delegationList.add(Metadata.delegationJson(new Metadata.Delegation(e.getKey(), targetsKeys, true,
                    e.getValue(), List.of())));
        }
        delegations.put("roles", delegationList);
        boolean topResign = top == null
                || !Arrays.equals(CanonicalJson.encode(delegations), top.file().signed.has("delegations")
                        ? CanonicalJson.encode(top.file().signed.map.get("delegations")) : new byte[0])
                || !signedBy(top.file(), root.keys(), targetsKeys)
                || nearExpiry(top.expires(), now, request.targetsLifetime());
        MetadataFile topWritten = null;
        if (topResign) {
            long version = top == null ? 1 : top.version() + 1;
            Map<String, Object> signed = Metadata.header("targets", version, targetsExpires);
            signed.put("targets", top == null ? new TreeMap<>() : new TreeMap<>(top.targetJson()));
            signed.put("delegations", delegations);
            byte[] bytes = sign(signed, RoleName.TARGETS, "targets", keys, root);
            topWritten = new MetadataFile(version + ".targets.json", bytes);
            snapshotMeta.put("targets", new Metadata.MetaInfo(version, OptionalLong.of(bytes.length), Map.of()));
        } else {
            snapshotMeta.put("targets", new Metadata.MetaInfo(top.version(), OptionalLong.of(top.file().bytes.length),
                    Map.of()));
        }

        long snapshotVersion = repository.load(RoleName.SNAPSHOT).map(f -> versionOf(f)).orElse(0L) + 1;
        Map<String, Object> snap = Metadata.header("snapshot", snapshotVersion, targetsExpires);
        Map<String, Object> meta = new TreeMap<>();
        snapshotMeta.forEach((role, info) -> meta.put(role + ".json", Metadata.metaInfoJson(info)));
        snap.put("meta", meta);
        byte[] snapBytes = sign(snap, RoleName.SNAPSHOT, "snapshot", keys, root);
        MetadataFile snapFile = new MetadataFile(snapshotVersion + ".snapshot.json", snapBytes);

        long timestampVersion = repository.load(RoleName.TIMESTAMP).map(f -> versionOf(f)).orElse(0L) + 1;
        Map<String, Object> ts = Metadata.header("timestamp", timestampVersion, now.plus(request.timestampLifetime()));
        ts.put("meta", Map.of("snapshot.json", Metadata.metaInfoJson(new Metadata.MetaInfo(snapshotVersion,
                OptionalLong.of(snapBytes.length), Map.of("sha256", Sha256.digestOf(snapBytes).hex())))));
        byte[] tsBytes = sign(ts, RoleName.TIMESTAMP, "timestamp", keys, root);
        MetadataFile tsFile = new MetadataFile("timestamp.json", tsBytes);

        // Readers never see a torn state: roles first, then targets, snapshot, timestamp.
        List<MetadataFile> saved = new ArrayList<>();
        for (MetadataFile f : written) {
            String role = f.name().substring(f.name().indexOf('.') + 1, f.name().length() - 5);
            repository.saveDelegated(role, f);
            saved.add(f);
        }
        if (topWritten != null) {
            repository.save(RoleName.TARGETS, topWritten);
            saved.add(topWritten);
        }
        repository.save(RoleName.SNAPSHOT, snapFile);
        saved.add(snapFile);
        repository.save(RoleName.TIMESTAMP, tsFile);
        saved.add(tsFile);
        return List.copyOf(saved);
    }

    private static long versionOf(MetadataFile f) {
        try {
            return Signed.parse(f.content(), f.name(), Long.MAX_VALUE, f.name().contains("snapshot") ? "snapshot"
                    : "timestamp").version();
        } catch (TrustException e) {
            throw new IllegalStateException("the repository's " + f.name() + " is unreadable: " + e.getMessage(), e);
        }
    }

    private static boolean nearExpiry(Instant expires, Instant now, Duration lifetime) {
        return expires.isBefore(now.plus(lifetime.dividedBy(2)));
    }

    private static boolean signedBy(Signed file, Map<KeyId, TrustKey> keys, RoleKeys role) {
        return role.isMetBy(file.validSigners(keys, role));
    }

    private byte[] sign(Map<String, Object> signed, RoleName role, String what, Map<RoleName, List<SigningKey>> keys,
            Metadata.Root root) throws TrustException {
        List<SigningKey> signers = keys.getOrDefault(role, List.of());
        if (signers.isEmpty()) {
            throw new TrustException(Reason.SIGNING_FAILED, what + " must be re-signed but no " + role.wireName()
                    + " keys were given");
        }
        byte[] bytes = Envelopes.sign(signed, signers);
        try {
            Signed parsed = Signed.parse(bytes, what, Long.MAX_VALUE, (String) signed.get("_type"));
            requireThreshold(parsed, role.wireName(), root.keys(), root.roles().get(role));
        } catch (io.patchfleet.trust.api.MalformedMetadataException e) {
            throw new IllegalStateException("wrote unreadable metadata for " + what, e);
        }
        return bytes;
    }

    private static void requireThreshold(Signed file, String what, Map<KeyId, TrustKey> keys, RoleKeys role)
            throws TrustException {
        try {
            file.verify(what, keys, role);
        } catch (SignatureException e) {
            throw new TrustException(Reason.SIGNING_FAILED, "the keys given cannot sign for " + what + ": "
                    + e.getMessage() + " (keys trusted for it: " + role.keyIds() + ")", e);
        }
    }

    private Metadata.Root parseRoot(MetadataFile f) throws TrustException {
        return Metadata.root(Signed.parse(f.content(), f.name(), limits.rootMaxBytes(), "root"));
    }
}
