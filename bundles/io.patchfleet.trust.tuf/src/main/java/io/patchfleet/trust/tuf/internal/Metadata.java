package io.patchfleet.trust.tuf.internal;

import io.patchfleet.model.PatchRelease;
import io.patchfleet.trust.api.DelegatedTargets;
import io.patchfleet.trust.api.KeyId;
import io.patchfleet.trust.api.MalformedMetadataException;
import io.patchfleet.trust.api.RoleKeys;
import io.patchfleet.trust.api.RoleName;
import io.patchfleet.trust.api.TrustKey;
import io.patchfleet.trust.api.VerifiedTarget;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * The four TUF role types, parsed strictly from {@link Signed} files, and their JSON form for
 * writing. Parsing checks structure only; signatures, versions and expiry are the verifier's.
 */
final class Metadata {
    static final String SPEC_VERSION = "1.0.31";
    /** Target path patterns: glob {@code *} and {@code ?} over the target name alphabet. */
    private static final Pattern PATH_PATTERN = Pattern.compile("[A-Za-z0-9._+~*?/-]{1,255}");
    private static final Pattern HASH_PREFIX = Pattern.compile("[0-9a-f]{1,64}");
    static final Set<String> HASH_ALGORITHMS = Set.of("sha256", "sha512");

    private Metadata() {}

    record Root(Signed file, long version, Instant expires, boolean consistentSnapshot, Map<KeyId, TrustKey> keys,
            Map<RoleName, RoleKeys> roles) {}

    /** What one role says about another file: its version, and optionally length and hashes. */
    record MetaInfo(long version, OptionalLong length, Map<String, String> hashes) {}

    record Timestamp(Signed file, long version, Instant expires, MetaInfo snapshot) {}

    /** {@code meta} keyed by role name: {@code "targets"} or a delegated role. */
    record Snapshot(Signed file, long version, Instant expires, Map<String, MetaInfo> meta) {}

    record Delegation(String name, RoleKeys keys, boolean terminating, List<String> paths, List<String> hashPrefixes) {
        /** Whether this delegation covers {@code targetName}. */
        boolean covers(String targetName) {
            if (!paths.isEmpty()) {
                return paths.stream().anyMatch(p -> Glob.matches(p, targetName));
            }
            String h = io.patchfleet.model.Sha256.digestOf(targetName.getBytes(java.nio.charset.StandardCharsets.UTF_8)).hex();
            return hashPrefixes.stream().anyMatch(h::startsWith);
        }
    }

    record Targets(Signed file, String role, long version, Instant expires, Map<String, VerifiedTarget> targets,
            Map<String, Map<String, Object>> targetJson, Map<KeyId, TrustKey> delegationKeys,
            List<Delegation> delegations) {
        Optional<Delegation> delegation(String name) {
            return delegations.stream().filter(d -> d.name().equals(name)).findFirst();
        }
    }

    // ---- parsing

    static Root root(Signed s) throws MalformedMetadataException {
        Fields f = s.signed;
        long version = s.version();
        Instant expires = s.expires();
        boolean consistent = f.bool("consistent_snapshot");
        Map<KeyId, TrustKey> keys = keys(f.object("keys"));
        Fields roles = f.object("roles");
        Map<RoleName, RoleKeys> roleKeys = new EnumMap<>(RoleName.class);
        for (String name : roles.map.keySet()) {
            RoleName role;
            try {
                role = RoleName.fromWire(name);
            } catch (IllegalArgumentException e) {
                throw roles.error(name, "unknown role name \"" + Json.printable(name) + "\"");
            }
            roleKeys.put(role, roleKeys(roles.object(name), keys));
        }
        for (RoleName r : RoleName.values()) {
            if (!roleKeys.containsKey(r)) {
                throw roles.error(r.wireName(), "missing");
            }
        }
        return new Root(s, version, expires, consistent, keys, roleKeys);
    }

    private static Map<KeyId, TrustKey> keys(Fields keys) throws MalformedMetadataException {
        Map<KeyId, TrustKey> result = new LinkedHashMap<>();
        for (String id : keys.map.keySet()) {
            TrustKey k = Keys.parse(keys.entry(id), id);
            result.put(k.id(), k);
        }
        return result;
    }

    private static RoleKeys roleKeys(Fields role, Map<KeyId, TrustKey> keys) throws MalformedMetadataException {
        List<Object> ids = role.array("keyids");
        Set<KeyId> set = new HashSet<>();
        for (int i = 0; i < ids.size(); i++) {
            String id = role.stringElement("keyids", i, ids.get(i));
            KeyId keyId;
            try {
                keyId = new KeyId(id);
            } catch (IllegalArgumentException e) {
                throw role.error("keyids[" + i + "]", "must be 64 lower-case hex characters");
            }
            if (!keys.containsKey(keyId)) {
                throw role.error("keyids[" + i + "]", "key " + keyId + " is not defined in keys");
            }
            if (!set.add(keyId)) {
                throw role.error("keyids[" + i + "]", "key " + keyId + " is listed twice");
            }
        }
        long threshold = role.integer("threshold", 1, Math.max(1, set.size()));
        if (set.isEmpty()) {
            throw role.error("keyids", "must list at least one key");
        }
        return new RoleKeys(set, (int) threshold);
    }

    static Timestamp timestamp(Signed s) throws MalformedMetadataException {
        Fields meta = s.signed.object("meta");
        meta.only(Set.of("snapshot.json"));
        return new Timestamp(s, s.version(), s.expires(), metaInfo(meta.entry("snapshot.json")));
    }

    static Snapshot snapshot(Signed s) throws MalformedMetadataException {
        Fields meta = s.signed.object("meta");
        Map<String, MetaInfo> result = new TreeMap<>();
        for (String fileName : meta.map.keySet()) {
            if (!fileName.endsWith(".json")) {
                throw meta.error("[\"" + Json.printable(fileName) + "\"]", "not a metadata file name");
            }
            String role = fileName.substring(0, fileName.length() - 5);
            if (!role.equals("targets")) {
                try {
                    DelegatedTargets.checkRoleName(role);
                } catch (IllegalArgumentException e) {
                    throw meta.error("[\"" + Json.printable(fileName) + "\"]", "unknown or malformed role name");
                }
            }
            result.put(role, metaInfo(meta.entry(fileName)));
        }
        if (!result.containsKey("targets")) {
            throw meta.error("[\"targets.json\"]", "missing");
        }
        return new Snapshot(s, s.version(), s.expires(), result);
    }

    private static MetaInfo metaInfo(Fields f) throws MalformedMetadataException {
        long version = f.integer("version", 1, Long.MAX_VALUE);
        OptionalLong length = f.has("length") ? OptionalLong.of(f.integer("length", 1, Long.MAX_VALUE)) : OptionalLong.empty();
        Map<String, String> hashes = f.has("hashes") ? hashes(f.object("hashes")) : Map.of();
        return new MetaInfo(version, length, hashes);
    }

    private static Map<String, String> hashes(Fields h) throws MalformedMetadataException {
        Map<String, String> result = new TreeMap<>();
        for (String alg : h.map.keySet()) {
            String hex = h.hex(alg);
            if (alg.equals("sha256") && hex.length() != 64 || alg.equals("sha512") && hex.length() != 128) {
                throw h.error(alg, "wrong digest length");
            }
            result.put(alg, hex);
        }
        if (result.keySet().stream().noneMatch(HASH_ALGORITHMS::contains)) {
            throw h.error("must hold sha256 or sha512");
        }
        return result;
    }

    /** Parses targets metadata of {@code role} ({@code "targets"} or a delegated role name). */
    static Targets targets(Signed s, String role) throws MalformedMetadataException {
        Fields f = s.signed;
        long version = s.version();
        Instant expires = s.expires();
        Fields targets = f.object("targets");
        Map<String, VerifiedTarget> parsed = new LinkedHashMap<>();
        Map<String, Map<String, Object>> raw = new LinkedHashMap<>();
        for (String name : targets.map.keySet()) {
            Fields t = targets.entry(name);
            try {
                PatchRelease.checkTargetName(name);
            } catch (IllegalArgumentException e) {
                throw t.error(e.getMessage());
            }
            long length = t.integer("length", 1, Long.MAX_VALUE);
            Map<String, String> hashes = hashes(t.object("hashes"));
            if (!hashes.containsKey("sha256")) {
                throw t.error("hashes", "must hold sha256");
            }
            Optional<PatchRelease> patch = t.has("custom") ? PatchFields.read(t.object("custom"), name, length, hashes.get("sha256"))
                    : Optional.empty();
            try {
                parsed.put(name, new VerifiedTarget(name, length, hashes, patch));
            } catch (IllegalArgumentException e) {
                throw t.error(e.getMessage());
            }
            raw.put(name, t.map);
        }
        Map<KeyId, TrustKey> delegationKeys = Map.of();
        List<Delegation> delegations = List.of();
        if (f.has("delegations")) {
            Fields d = f.object("delegations");
            delegationKeys = keys(d.object("keys"));
            List<Object> roles = d.array("roles");
            List<Delegation> list = new ArrayList<>(roles.size());
            Set<String> names = new HashSet<>();
            for (int i = 0; i < roles.size(); i++) {
                Fields r = d.element("roles", i, roles.get(i));
                String name = r.string("name");
                try {
                    DelegatedTargets.checkRoleName(name);
                } catch (IllegalArgumentException e) {
                    throw r.error("name", "unknown or malformed role name \"" + Json.printable(name) + "\"");
                }
                if (!names.add(name)) {
                    throw r.error("name", "role " + name + " is delegated twice");
                }
                RoleKeys keys = roleKeys(r, delegationKeys);
                boolean terminating = r.bool("terminating");
                if (r.has("paths") == r.has("path_hash_prefixes")) {
                    throw r.error("must have exactly one of paths and path_hash_prefixes");
                }
                List<String> paths = new ArrayList<>();
                List<String> prefixes = new ArrayList<>();
                String key = r.has("paths") ? "paths" : "path_hash_prefixes";
                List<Object> values = r.array(key);
                for (int j = 0; j < values.size(); j++) {
                    String v = r.stringElement(key, j, values.get(j));
                    if (!(r.has("paths") ? PATH_PATTERN : HASH_PREFIX).matcher(v).matches()) {
                        throw r.error(key + "[" + j + "]", "malformed \"" + Json.printable(v) + "\"");
                    }
                    (r.has("paths") ? paths : prefixes).add(v);
                }
                list.add(new Delegation(name, keys, terminating, List.copyOf(paths), List.copyOf(prefixes)));
            }
            delegations = List.copyOf(list);
        }
        return new Targets(s, role, version, expires, parsed, raw, delegationKeys, delegations);
    }

    // ---- writing

    static Map<String, Object> header(String type, long version, Instant expires) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("_type", type);
        m.put("spec_version", SPEC_VERSION);
        m.put("version", version);
        m.put("expires", Fields.format(expires));
        return m;
    }

    static Map<String, Object> keysJson(Map<KeyId, TrustKey> keys) {
        Map<String, Object> m = new TreeMap<>();
        keys.forEach((id, k) -> m.put(id.hex(), Keys.toJson(k)));
        return m;
    }

    static Map<String, Object> roleJson(RoleKeys keys) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("keyids", keys.keyIds().stream().map(KeyId::hex).sorted().toList());
        m.put("threshold", (long) keys.threshold());
        return m;
    }

    static Map<String, Object> metaInfoJson(MetaInfo info) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("version", info.version());
        info.length().ifPresent(l -> m.put("length", l));
        if (!info.hashes().isEmpty()) {
            m.put("hashes", new TreeMap<>(info.hashes()));
        }
        return m;
    }

    static Map<String, Object> delegationJson(Delegation d) {
        Map<String, Object> m = roleJson(d.keys());
        m.put("name", d.name());
        m.put("terminating", d.terminating());
        if (!d.paths().isEmpty()) {
            m.put("paths", d.paths());
        } else {
            m.put("path_hash_prefixes", d.hashPrefixes());
        }
        return m;
    }

    static Map<String, Object> targetJson(VerifiedTarget t) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("length", t.length());
        m.put("hashes", new TreeMap<>(t.hashes()));
        t.patch().ifPresent(p -> m.put("custom", PatchFields.write(p)));
        return m;
    }
}
