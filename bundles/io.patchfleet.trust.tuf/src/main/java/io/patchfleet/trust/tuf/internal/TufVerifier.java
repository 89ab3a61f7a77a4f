package io.patchfleet.trust.tuf.internal;

import io.patchfleet.model.KernelId;
import io.patchfleet.model.Sha256;
import io.patchfleet.trust.api.DelegatedTargets;
import io.patchfleet.trust.api.ExpiredMetadataException;
import io.patchfleet.trust.api.MetadataFile;
import io.patchfleet.trust.api.MetadataSource;
import io.patchfleet.trust.api.RoleName;
import io.patchfleet.trust.api.RollbackException;
import io.patchfleet.trust.api.SignatureException;
import io.patchfleet.trust.api.TargetMismatchException;
import io.patchfleet.trust.api.TrustAnchor;
import io.patchfleet.trust.api.TrustException;
import io.patchfleet.trust.api.TrustException.Reason;
import io.patchfleet.trust.api.TrustedMetadata;
import io.patchfleet.trust.api.TrustedMetadataStore;
import io.patchfleet.trust.api.TrustedRoot;
import io.patchfleet.trust.api.Verifier;
import io.patchfleet.trust.api.VerifiedTarget;
import io.patchfleet.trust.tuf.KernelRoles;
import io.patchfleet.trust.tuf.TufLimits;
import java.io.IOException;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The TUF 1.0 client workflow (specification §5) over one store.
 *
 * <p>State is an immutable {@link State} in a volatile field, replaced only after a step has
 * been verified and saved; a failed step leaves it as it was. Stored files other than the root
 * that no longer verify against the trusted root (keys rotated, or tampered with on disk) are
 * ignored at open, as python-tuf does, and fetched again; the stored root must verify.
 */
public final class TufVerifier implements Verifier {
    private final TrustAnchor anchor;
    private final TrustedMetadataStore store;
    private final TufLimits limits;
    private final ReentrantLock lock = new ReentrantLock();
    private final Map<String, CachedRole> delegatedCache = new ConcurrentHashMap<>();
    private volatile State state;
    /**
     * The root object the trusted top-level targets were verified with (guarded by {@link #lock}).
     * While the root is that same object and the bytes are unchanged, verifying them again gives
     * the same answer: a no-change refresh skips it (parsing and checking a targets file that
     * delegates 1,000 roles was most of a no-change sync's CPU, BENCHMARKS.md, sync). A new root,
     * rotated keys included, is a new object, so the targets are verified again under it.
     */
    private Metadata.Root targetsVerifiedWith;

    /** Everything trusted now; any field but the root may be null. */
    record State(Metadata.Root root, Metadata.Timestamp timestamp, Metadata.Snapshot snapshot,
            Metadata.Targets targets, TrustedMetadata current) {
        State withRoot(Metadata.Root r, boolean dropTimestampAndSnapshot) {
            return dropTimestampAndSnapshot ? new State(r, null, null, targets, current)
                    : new State(r, timestamp, snapshot, targets, current);
        }
    }

    private record CachedRole(long rootVersion, long targetsVersion, DelegatedTargets targets) {}

    public TufVerifier(TrustAnchor anchor, TrustedMetadataStore store, TufLimits limits)
            throws TrustException, IOException {
        this.anchor = Objects.requireNonNull(anchor, "anchor");
        this.store = Objects.requireNonNull(store, "store");
        this.limits = Objects.requireNonNull(limits, "limits");
        this.state = load();
    }

    private State load() throws TrustException, IOException {
        Optional<MetadataFile> rootFile = store.load(RoleName.ROOT);
        if (rootFile.isEmpty()) {
            return new State(null, null, null, null, null);
        }
        Metadata.Root root = parseRoot(rootFile.get());
        root.file().verify("root", root.keys(), root.roles().get(RoleName.ROOT));
        Metadata.Timestamp ts = null;
        Metadata.Snapshot snap = null;
        Metadata.Targets targets = null;
        try {
            Optional<MetadataFile> f = store.load(RoleName.TIMESTAMP);
            if (f.isPresent()) {
                ts = verifiedTimestamp(f.get(), root);
            }
        } catch (TrustException e) {
            ts = null;
        }
        try {
            Optional<MetadataFile> f = store.load(RoleName.SNAPSHOT);
            if (f.isPresent()) {
                snap = verifiedSnapshot(f.get(), root);
            }
        } catch (TrustException e) {
            snap = null;
        }
        try {
            Optional<MetadataFile> f = store.load(RoleName.TARGETS);
            if (f.isPresent()) {
                targets = verifiedTargets(f.get(), root);
                targetsVerifiedWith = root;
            }
        } catch (TrustException e) {
            targets = null;
        }
        TrustedMetadata current = null;
        if (ts != null && snap != null && targets != null && ts.snapshot().version() == snap.version()
                && snap.meta().get("targets").version() == targets.version()) {
            // The time of that update is not stored: EPOCH says "loaded, not verified now".
            current = trustedMetadata(root, ts, snap, targets, Instant.EPOCH);
        }
        return new State(root, ts, snap, targets, current);
    }

    @Override
    public Optional<TrustedRoot> root() {
        Metadata.Root r = state.root();
        return r == null ? Optional.empty() : Optional.of(trustedRoot(r));
    }

    @Override
    public Optional<TrustedMetadata> current() {
        return Optional.ofNullable(state.current());
    }

    @Override
    public TrustedMetadata refresh(MetadataSource source, Instant updateStart) throws TrustException, IOException {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(updateStart, "updateStart");
        lock.lock();
        try {
            updateRoot(source, updateStart);
            Metadata.Timestamp ts = updateTimestamp(source, updateStart);
            Metadata.Snapshot snap = updateSnapshot(source, updateStart, ts);
            Metadata.Targets targets = updateTargets(source, updateStart, snap);
            State s = state;
            TrustedMetadata current = trustedMetadata(s.root(), ts, snap, targets, updateStart);
            state = new State(s.root(), ts, snap, targets, current);
            return current;
        } finally {
            lock.unlock();
        }
    }

    // ---- §5.3 root

    private void updateRoot(MetadataSource source, Instant updateStart) throws TrustException, IOException {
        Metadata.Root root = state.root();
        if (root == null) {
            root = bootstrapRoot(source);
        }
        for (int i = 0; i < limits.maxRootRotations(); i++) {
            String name = (root.version() + 1) + ".root.json";
            Optional<MetadataFile> next = fetch(source, name, limits.rootMaxBytes());
            if (next.isEmpty()) {
                break;
            }
            Metadata.Root newRoot = parseRoot(next.get());
            newRoot.file().verify("root (keys of trusted root " + root.version() + ")", root.keys(),
                    root.roles().get(RoleName.ROOT));
            newRoot.file().verify("root (keys of new root " + newRoot.version() + ")", newRoot.keys(),
                    newRoot.roles().get(RoleName.ROOT));
            if (newRoot.version() != root.version() + 1) {
                throw new RollbackException(Reason.ROLLBACK, name + " holds root version " + newRoot.version()
                        + ", expected " + (root.version() + 1) + " (roots must chain one version at a time)");
            }
            store.save(RoleName.ROOT, next.get());
            boolean rotated = !newRoot.roles().get(RoleName.TIMESTAMP).equals(root.roles().get(RoleName.TIMESTAMP))
                    || !newRoot.roles().get(RoleName.SNAPSHOT).equals(root.roles().get(RoleName.SNAPSHOT));
            // Fast-forward recovery (attack 4): forget timestamp and snapshot versions signed by
            // rotated-out keys, so versions inflated by a compromised key do not block updates.
            state = state.withRoot(newRoot, rotated);
            root = newRoot;
        }
        checkExpiry(root.file().file, root.expires(), updateStart);
    }

    private Metadata.Root bootstrapRoot(MetadataSource source) throws TrustException, IOException {
        Optional<MetadataFile> f = fetch(source, "root.json", limits.rootMaxBytes());
        if (f.isEmpty()) {
            throw new IOException("no trusted root yet and the source has no root.json");
        }
        if (anchor.kind() == TrustAnchor.Kind.PINNED) {
            Sha256 actual = Sha256.digestOf(f.get().content());
            if (!actual.equals(anchor.fingerprint().orElseThrow())) {
                throw new SignatureException(Reason.ANCHOR_MISMATCH, "root.json has SHA-256 " + actual
                        + ", the pinned root is " + anchor.fingerprint().orElseThrow());
            }
        }
        Metadata.Root root = parseRoot(f.get());
        root.file().verify("root", root.keys(), root.roles().get(RoleName.ROOT));
        store.save(RoleName.ROOT, new MetadataFile(root.version() + ".root.json", f.get().content()));
        state = new State(root, null, null, null, null);
        return root;
    }

    // ---- §5.4 timestamp

    private Metadata.Timestamp updateTimestamp(MetadataSource source, Instant updateStart)
            throws TrustException, IOException {
        State s = state;
        MetadataFile f = fetch(source, "timestamp.json", limits.timestampMaxBytes())
                .orElseThrow(() -> new IOException("the source has no timestamp.json"));
        Metadata.Timestamp ts = verifiedTimestamp(f, s.root());
        Metadata.Timestamp trusted = s.timestamp();
        if (trusted != null) {
            if (ts.version() < trusted.version()) {
                throw new RollbackException(Reason.ROLLBACK, "timestamp.json version " + ts.version()
                        + " is older than the trusted version " + trusted.version());
            }
            if (ts.snapshot().version() < trusted.snapshot().version()) {
                throw new RollbackException(Reason.ROLLBACK, "timestamp.json names snapshot version "
                        + ts.snapshot().version() + ", older than the trusted " + trusted.snapshot().version());
            }
        }
        checkExpiry("timestamp.json", ts.expires(), updateStart);
        if (trusted == null || !java.util.Arrays.equals(trusted.file().bytes, f.content())) {
            // The same bytes are what the store holds already (loaded from it, or saved when trusted):
            // a no-change refresh writes nothing.
            store.save(RoleName.TIMESTAMP, new MetadataFile("timestamp.json", f.content()));
        }
        state = new State(s.root(), ts, s.snapshot(), s.targets(), s.current());
        return ts;
    }

    // ---- §5.5 snapshot

    private Metadata.Snapshot updateSnapshot(MetadataSource source, Instant updateStart, Metadata.Timestamp ts)
            throws TrustException, IOException {
        State s = state;
        Metadata.MetaInfo info = ts.snapshot();
        String name = s.root().consistentSnapshot() ? info.version() + ".snapshot.json" : "snapshot.json";
        Metadata.Snapshot trusted = s.snapshot();
        Metadata.Snapshot snap = null;
        if (trusted != null && trusted.version() == info.version() && matches(trusted.file().bytes, info)) {
            snap = trusted; // unchanged: verified against the current root at load or when fetched
        }
        if (snap == null) {
            MetadataFile f = fetch(source, name, cap(limits.snapshotMaxBytes(), info))
                    .orElseThrow(() -> new IOException("the source has no " + name));
            checkMetaInfo(name, f.content(), info, "timestamp.json");
            snap = verifiedSnapshot(f, s.root());
            if (snap.version() != info.version()) {
                throw new RollbackException(Reason.VERSION_MISMATCH, name + " holds snapshot version "
                        + snap.version() + ", timestamp.json names " + info.version());
            }
            if (trusted != null) {
                if (snap.version() < trusted.version()) {
                    throw new RollbackException(Reason.ROLLBACK, name + " version " + snap.version()
                            + " is older than the trusted version " + trusted.version());
                }
                for (Map.Entry<String, Metadata.MetaInfo> e : trusted.meta().entrySet()) {
                    Metadata.MetaInfo now = snap.meta().get(e.getKey());
                    if (now == null) {
                        throw new RollbackException(Reason.ROLLBACK, name + " no longer lists " + e.getKey()
                                + ".json, which the trusted snapshot lists");
                    }
                    if (now.version() < e.getValue().version()) {
                        throw new RollbackException(Reason.ROLLBACK, name + " lists " + e.getKey() + ".json version "
                                + now.version() + ", older than the trusted " + e.getValue().version());
                    }
                }
            }
        }
        checkExpiry(name, snap.expires(), updateStart);
        if (snap != trusted) {
            store.save(RoleName.SNAPSHOT, new MetadataFile(name, snap.file().bytes));
            state = new State(s.root(), s.timestamp(), snap, s.targets(), s.current());
        }
        return snap;
    }

    // ---- §5.6 targets

    private Metadata.Targets updateTargets(MetadataSource source, Instant updateStart, Metadata.Snapshot snap)
            throws TrustException, IOException {
        State s = state;
        Metadata.MetaInfo info = snap.meta().get("targets");
        String name = s.root().consistentSnapshot() ? info.version() + ".targets.json" : "targets.json";
        Metadata.Targets trusted = s.targets();
        Metadata.Targets targets = null;
        if (trusted != null && trusted.version() == info.version() && matches(trusted.file().bytes, info)) {
            if (targetsVerifiedWith == s.root()) {
                targets = trusted; // same bytes, verified under this very root
            } else {
                try {
                    targets = verifiedTargets(new MetadataFile(name, trusted.file().bytes), s.root());
                } catch (TrustException e) {
                    targets = null; // keys changed since: fetch again
                }
            }
        }
        if (targets == null) {
            MetadataFile f = fetch(source, name, cap(limits.targetsMaxBytes(), info))
                    .orElseThrow(() -> new IOException("the source has no " + name));
            checkMetaInfo(name, f.content(), info, "the snapshot");
            targets = verifiedTargets(f, s.root());
            if (targets.version() != info.version()) {
                throw new RollbackException(Reason.VERSION_MISMATCH, name + " holds targets version "
                        + targets.version() + ", the snapshot names " + info.version());
            }
        }
        targetsVerifiedWith = s.root();
        checkExpiry(name, targets.expires(), updateStart);
        if (trusted == null || trusted.version() != targets.version()) {
            store.save(RoleName.TARGETS, new MetadataFile(name, targets.file().bytes));
        }
        state = new State(s.root(), s.timestamp(), s.snapshot(), targets, s.current());
        return targets;
    }

    // ---- delegated roles

    @Override
    public Optional<DelegatedTargets> targetsFor(KernelId kernel, MetadataSource source, Instant updateStart)
            throws TrustException, IOException {
        Objects.requireNonNull(kernel, "kernel");
        String role = KernelRoles.roleFor(kernel);
        State s = state;
        if (s.current() == null) {
            throw new TargetMismatchException(Reason.UNKNOWN_TARGET, "no complete metadata update yet: refresh first");
        }
        if (s.targets().delegation(role).isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(delegatedTargets(role, source, updateStart));
    }

    @Override
    public DelegatedTargets delegatedTargets(String role, MetadataSource source, Instant updateStart)
            throws TrustException, IOException {
        DelegatedTargets.checkRoleName(role);
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(updateStart, "updateStart");
        lock.lock();
        try {
            State s = state;
            TrustedMetadata current = s.current();
            if (current == null) {
                throw new TargetMismatchException(Reason.UNKNOWN_TARGET, "no complete metadata update yet: refresh first");
            }
            if (current.isExpired(updateStart)) {
                throw new ExpiredMetadataException(Reason.EXPIRED, "the trusted metadata expired at "
                        + current.expires() + " (update started " + updateStart + ")");
            }
            Metadata.Delegation d = s.targets().delegation(role).orElseThrow(() -> new TargetMismatchException(
                    Reason.UNKNOWN_TARGET, "the top-level targets role delegates no role " + role));
            Metadata.MetaInfo info = s.snapshot().meta().get(role);
            if (info == null) {
                throw new RollbackException(Reason.VERSION_MISMATCH, "the snapshot does not list " + role + ".json");
            }
            CachedRole cached = delegatedCache.get(role);
            if (cached != null && cached.rootVersion() == s.root().version()
                    && cached.targetsVersion() == s.targets().version() && cached.targets().version() == info.version()) {
                checkExpiry(role + ".json", cached.targets().expires(), updateStart);
                return cached.targets();
            }
            String name = s.root().consistentSnapshot() ? info.version() + "." + role + ".json" : role + ".json";
            Metadata.Targets t = null;
            Optional<MetadataFile> stored = store.loadDelegated(role);
            if (stored.isPresent()) {
                try {
                    Metadata.Targets candidate = verifiedDelegated(stored.get(), role, s.targets(), d);
                    if (candidate.version() == info.version() && matches(stored.get().content(), info)) {
                        t = candidate;
                    }
                } catch (TrustException e) {
                    t = null; // stale or damaged copy: fetch it again
                }
            }
            if (t == null) {
                MetadataFile f = fetch(source, name, cap(limits.delegatedMaxBytes(), info))
                        .orElseThrow(() -> new IOException("the source has no " + name));
                checkMetaInfo(name, f.content(), info, "the snapshot");
                t = verifiedDelegated(f, role, s.targets(), d);
                if (t.version() != info.version()) {
                    throw new RollbackException(Reason.VERSION_MISMATCH, name + " holds version " + t.version()
                            + ", the snapshot names " + info.version());
                }
                checkExpiry(name, t.expires(), updateStart);
                store.saveDelegated(role, f);
            } else {
                checkExpiry(name, t.expires(), updateStart);
            }
            DelegatedTargets result = new DelegatedTargets(role, t.version(), t.expires(), t.targets());
            delegatedCache.put(role, new CachedRole(s.root().version(), s.targets().version(), result));
            return result;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void expectDelegated(List<String> roles, MetadataSource source) {
        Objects.requireNonNull(roles, "roles");
        Objects.requireNonNull(source, "source");
        State s = state;
        if (s.current() == null) {
            return;
        }
        List<String> names = new java.util.ArrayList<>(roles.size());
        for (String role : roles) {
            Metadata.MetaInfo info = s.snapshot().meta().get(role);
            if (info == null || s.targets().delegation(role).isEmpty()) {
                continue; // delegatedTargets will refuse it without fetching
            }
            CachedRole cached = delegatedCache.get(role);
            if (cached != null && cached.rootVersion() == s.root().version()
                    && cached.targetsVersion() == s.targets().version() && cached.targets().version() == info.version()) {
                continue; // held verified: no fetch
            }
            names.add(s.root().consistentSnapshot() ? info.version() + "." + role + ".json" : role + ".json");
        }
        if (!names.isEmpty()) {
            source.expect(List.copyOf(names), limits.delegatedMaxBytes());
        }
    }

    private Metadata.Targets verifiedDelegated(MetadataFile f, String role, Metadata.Targets parent,
            Metadata.Delegation d) throws TrustException {
        Signed signed = Signed.parse(f.content(), f.name(), limits.delegatedMaxBytes(), "targets");
        Metadata.Targets t = Metadata.targets(signed, role);
        signed.verify("delegated role " + role, parent.delegationKeys(), d.keys());
        for (String target : t.targets().keySet()) {
            if (!d.covers(target)) {
                throw new TargetMismatchException(Reason.UNKNOWN_TARGET, f.name() + " lists target " + target
                        + ", outside the paths delegated to role " + role);
            }
        }
        return t;
    }

    // ---- helpers

    private Metadata.Root parseRoot(MetadataFile f) throws TrustException {
        return Metadata.root(Signed.parse(f.content(), f.name(), limits.rootMaxBytes(), "root"));
    }

    private Metadata.Timestamp verifiedTimestamp(MetadataFile f, Metadata.Root root) throws TrustException {
        Signed signed = Signed.parse(f.content(), f.name(), limits.timestampMaxBytes(), "timestamp");
        Metadata.Timestamp ts = Metadata.timestamp(signed);
        signed.verify("timestamp", root.keys(), root.roles().get(RoleName.TIMESTAMP));
        return ts;
    }

    private Metadata.Snapshot verifiedSnapshot(MetadataFile f, Metadata.Root root) throws TrustException {
        Signed signed = Signed.parse(f.content(), f.name(), limits.snapshotMaxBytes(), "snapshot");
        Metadata.Snapshot snap = Metadata.snapshot(signed);
        signed.verify("snapshot", root.keys(), root.roles().get(RoleName.SNAPSHOT));
        return snap;
    }

    private Metadata.Targets verifiedTargets(MetadataFile f, Metadata.Root root) throws TrustException {
        Signed signed = Signed.parse(f.content(), f.name(), limits.targetsMaxBytes(), "targets");
        Metadata.Targets t = Metadata.targets(signed, "targets");
        signed.verify("targets", root.keys(), root.roles().get(RoleName.TARGETS));
        return t;
    }

    private static Optional<MetadataFile> fetch(MetadataSource source, String name, long cap) throws IOException,
            TrustException {
        Optional<MetadataFile> f = source.fetch(name, cap);
        if (f.isPresent() && f.get().length() > cap) {
            throw new io.patchfleet.trust.api.MalformedMetadataException(Reason.TOO_LARGE,
                    name + ": " + f.get().length() + " bytes exceed the limit of " + cap);
        }
        return f;
    }

    private static long cap(long max, Metadata.MetaInfo info) {
        return info.length().isPresent() ? Math.min(max, info.length().getAsLong()) : max;
    }

    private static boolean matches(byte[] content, Metadata.MetaInfo info) {
        try {
            checkMetaInfo("", content, info, "");
            return true;
        } catch (RollbackException e) {
            return false;
        }
    }

    /** Length and hashes a signed role states for a file (mix-and-match, attack 6). */
    static void checkMetaInfo(String name, byte[] content, Metadata.MetaInfo info, String statedBy)
            throws RollbackException {
        if (info.length().isPresent() && info.length().getAsLong() != content.length) {
            throw new RollbackException(Reason.VERSION_MISMATCH, name + " is " + content.length + " bytes, "
                    + statedBy + " says " + info.length().getAsLong());
        }
        for (Map.Entry<String, String> h : info.hashes().entrySet()) {
            String actual = Hashes.hex(h.getKey(), content);
            if (actual != null && !actual.equals(h.getValue())) {
                throw new RollbackException(Reason.VERSION_MISMATCH, name + " has another " + h.getKey()
                        + " than " + statedBy + " states");
            }
        }
    }

    private static void checkExpiry(String name, Instant expires, Instant updateStart) throws ExpiredMetadataException {
        if (!updateStart.isBefore(expires)) {
            throw new ExpiredMetadataException(Reason.EXPIRED, name + " expired at " + expires
                    + " (update started " + updateStart + ")");
        }
    }

    static TrustedRoot trustedRoot(Metadata.Root r) {
        return new TrustedRoot(r.version(), r.expires(), Sha256.digestOf(r.file().bytes), r.roles());
    }

    private static TrustedMetadata trustedMetadata(Metadata.Root root, Metadata.Timestamp ts, Metadata.Snapshot snap,
            Metadata.Targets targets, Instant verifiedAt) {
        Instant expires = root.expires();
        for (Instant e : new Instant[] {ts.expires(), snap.expires(), targets.expires()}) {
            if (e.isBefore(expires)) {
                expires = e;
            }
        }
        Map<String, Long> roles = new TreeMap<>();
        snap.meta().forEach((role, info) -> {
            if (!role.equals("targets")) {
                roles.put(role, info.version());
            }
        });
        Map<String, VerifiedTarget> own = targets.targets();
        return new TrustedMetadata(trustedRoot(root), ts.version(), snap.version(), targets.version(), expires,
                verifiedAt, own, roles);
    }
}
