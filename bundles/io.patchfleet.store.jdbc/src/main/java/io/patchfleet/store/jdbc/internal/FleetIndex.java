package io.patchfleet.store.jdbc.internal;

import io.patchfleet.model.KernelId;
import io.patchfleet.model.Machine;
import io.patchfleet.model.MachineId;
import io.patchfleet.model.MachineReport;
import io.patchfleet.model.PatchState;
import io.patchfleet.model.TierName;
import io.patchfleet.store.api.StoreException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The whole fleet in memory: every enrolled machine with its credential hash and the fields of
 * its last full report. The check-in hot path reads nothing else — authentication (credential
 * hash → machine), the machine itself, and whether a report changes anything (a steady-state
 * check-in goes to the {@link SeenJournal} instead of the database).
 *
 * <p><b>Loading.</b> At start a background thread reads the machines table in key order, 10,000
 * rows per query; until it is done, a miss falls back to one indexed read. Once loaded the index
 * is complete: a credential it does not know is refused without touching the database, which
 * also keeps a flood of wrong credentials off the database.
 *
 * <p><b>Consistency.</b> Every write that changes a machine goes through a store of this bundle
 * and updates the index after its commit: identity writes (enrollment, re-enrollment with a new
 * credential, tier or tags, deregistration) re-read the committed row under the index lock, so
 * two concurrent writes of one machine leave the index with the later one; report writes come
 * from the single report writer thread in commit order. While the loader runs, each write also
 * marks its machine "touched" and the loader never inserts a touched machine from a page it
 * read before that write; at the end of the load the touched machines that are still missing
 * are read again under the lock. Identity writes are rare, so the lock costs nothing on the hot
 * path, which only reads concurrent maps.
 *
 * <p><b>Memory.</b> About 300–400 bytes per machine (the id, a 64-character credential hash,
 * and shared instances of tiers, kernels, tag sets and client versions): a million machines need
 * roughly 0.4 GB of heap. The server's heap must be sized for its fleet (README, "Sizing").
 */
final class FleetIndex {
    private static final Logger LOG = LoggerFactory.getLogger(FleetIndex.class);
    static final int PAGE = 10_000;
    static final String COLUMNS = "machine_id, tier_name, tags, enrolled_at, credential_hash, previous_credential_hash, "
            + "kernel_release, kernel_arch, kernel_flavour, kernel_build, patch_state, patch_version, client_version, boot_time, "
            + "decision_outcome, decision_reason, decision_not_before, decision_at";

    /** The fields of a machine's last full report that decide whether a check-in changes anything. */
    record Reported(KernelId kernel, PatchState state, long version, String clientVersion, Instant bootTime) {
        static Reported of(MachineReport r) {
            return new Reported(r.kernel(), r.patchState(), r.patchVersion(), r.clientVersion(), r.bootTime());
        }

        boolean sameAs(MachineReport r) {
            return version == r.patchVersion() && state == r.patchState() && kernel.equals(r.kernel())
                    && clientVersion.equals(r.clientVersion()) && bootTime.equals(r.bootTime());
        }
    }

    /** One machine. Identity is immutable (replaced as a whole); the reported fields move. */
    static final class Entry {
        final Machine machine;
        final String credentialHash;
        /** After a re-enrollment, the credential used before, valid until the new one is first used. */
        final String previousCredentialHash;
        volatile Reported reported;
        /**
         * The last rollout decision recorded (null: none), compared with each check-in's so only a
         * change is written. Reasons repeat across the fleet and are shared like tiers and kernels.
         */
        volatile io.patchfleet.store.api.RolloutDecision decision;

        Entry(Machine machine, String credentialHash, String previousCredentialHash, Reported reported) {
            this.machine = machine;
            this.credentialHash = credentialHash;
            this.previousCredentialHash = previousCredentialHash;
            this.reported = reported;
        }
    }

    private final Map<MachineId, Entry> byId = new ConcurrentHashMap<>();
    private final Map<String, Entry> byCredential = new ConcurrentHashMap<>();
    private final Map<Object, Object> shared = new ConcurrentHashMap<>();
    private final Object lock = new Object();
    private Set<MachineId> touched = new HashSet<>(); // guarded by lock; null once complete
    private volatile boolean complete;
    private volatile Thread loader;
    private volatile boolean stopped;

    /** Whether every enrolled machine is in memory (a miss then means "unknown"). */
    boolean complete() {
        return complete;
    }

    int size() {
        return byId.size();
    }

    Entry byId(MachineId id) {
        return byId.get(id);
    }

    Entry byCredential(String credentialHash) {
        return byCredential.get(credentialHash);
    }

    /** Every entry (a weakly consistent view, for aggregate reports). */
    Iterable<Entry> entries() {
        return byId.values();
    }

    // --- loading ---------------------------------------------------------------------------

    /** Starts the background load; {@code onDone} gets the duration in ms, or -1 if it failed. */
    void startLoading(Database db, Consumer<Long> onDone) {
        Thread t = new Thread(() -> load(db, onDone), "patchfleet-fleet-index");
        t.setDaemon(true);
        t.setPriority(Thread.NORM_PRIORITY - 1);
        loader = t;
        t.start();
    }

    /** Loads everything on the caller's thread (tests, and the background thread). */
    void load(Database db, Consumer<Long> onDone) {
        long t0 = System.nanoTime();
        String after = "";
        try {
            while (!stopped) {
                String from = after;
                List<Entry> page = db.inTransaction(c -> page(c, from));
                if (page.isEmpty()) {
                    break;
                }
                synchronized (lock) {
                    if (touched == null) {
                        return; // loaded meanwhile
                    }
                    for (Entry e : page) {
                        if (!touched.contains(e.machine.id()) && !byId.containsKey(e.machine.id())) {
                            insert(e);
                        }
                    }
                }
                after = page.get(page.size() - 1).machine.id().value();
            }
            if (stopped) {
                return;
            }
            synchronized (lock) {
                for (MachineId id : touched) {
                    if (!byId.containsKey(id)) {
                        db.inTransaction(c -> read(c, id)).ifPresent(this::insert);
                    }
                }
                touched = null;
                complete = true;
            }
            long ms = (System.nanoTime() - t0) / 1_000_000;
            LOG.info("Fleet index loaded: {} machine(s) in {} ms", byId.size(), ms);
            onDone.accept(ms);
        } catch (StoreException | RuntimeException e) {
            if (stopped) {
                return; // the database closed under the loader
            }
            LOG.error("Loading the fleet index failed; check-ins read machines from the database instead", e);
            onDone.accept(-1L);
        }
    }

    /**
     * Stops the loader after its current page and waits for it (bounded). Not an interrupt: an
     * interrupted thread inside HSQLDB can close the database's file channel.
     */
    void stopLoading() {
        stopped = true;
        Thread t = loader;
        if (t != null) {
            try {
                t.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private List<Entry> page(Connection c, String after) throws SQLException {
        List<Entry> out = new ArrayList<>(PAGE);
        try (PreparedStatement ps = c.prepareStatement("SELECT " + COLUMNS + " FROM machines WHERE machine_id > ? "
                + "ORDER BY machine_id FETCH FIRST " + PAGE + " ROWS ONLY")) {
            ps.setString(1, after);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(entry(rs));
                }
            }
        }
        return out;
    }

    /** The committed row of one machine. */
    Optional<Entry> read(Connection c, MachineId id) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT " + COLUMNS + " FROM machines WHERE machine_id = ?")) {
            ps.setString(1, id.value());
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(entry(rs)) : Optional.empty();
            }
        }
    }

    /**
     * The committed row holding a credential hash as its credential or as its previous one (two
     * indexed lookups rather than one OR, which a database may answer with a scan).
     */
    Optional<Entry> readByCredential(Connection c, String credentialHash) throws SQLException {
        for (String column : new String[] {"credential_hash", "previous_credential_hash"}) {
            try (PreparedStatement ps = c.prepareStatement("SELECT " + COLUMNS + " FROM machines WHERE " + column + " = ?")) {
                ps.setString(1, credentialHash);
                try (ResultSet rs = ps.executeQuery()) {
                    if (rs.next()) {
                        return Optional.of(entry(rs));
                    }
                }
            }
        }
        return Optional.empty();
    }

    /** The decision columns of a machines row; null when none was recorded. */
    io.patchfleet.store.api.RolloutDecision decision(ResultSet rs) throws SQLException {
        String outcome = rs.getString("decision_outcome");
        if (outcome == null) {
            return null;
        }
        return new io.patchfleet.store.api.RolloutDecision(outcome, share(rs.getString("decision_reason")),
                Optional.ofNullable(Sql.instant(rs, "decision_not_before")), Sql.instant(rs, "decision_at"));
    }

    private Entry entry(ResultSet rs) throws SQLException {
        Machine m = new Machine(MachineId.of(rs.getString("machine_id")), share(TierName.of(rs.getString("tier_name"))),
                share(Machines.tags(rs.getString("tags"))), Sql.instant(rs, "enrolled_at"));
        Reported reported = null;
        String state = rs.getString("patch_state");
        if (state != null) {
            reported = new Reported(share(new KernelId(rs.getString("kernel_release"), rs.getString("kernel_arch"),
                    rs.getString("kernel_flavour"), rs.getString("kernel_build"))), PatchState.fromWire(state),
                    rs.getLong("patch_version"), share(rs.getString("client_version")), Sql.instant(rs, "boot_time"));
        }
        Entry e = new Entry(m, rs.getString("credential_hash"), rs.getString("previous_credential_hash"), reported);
        e.decision = decision(rs);
        return e;
    }

    @SuppressWarnings("unchecked")
    private <T> T share(T value) {
        if (shared.size() > 100_000) {
            return value; // a pathological fleet with unique values everywhere: stop sharing
        }
        return (T) shared.computeIfAbsent(value, v -> v);
    }

    private void insert(Entry e) {
        Entry old = byId.put(e.machine.id(), e);
        if (old != null) {
            unmap(old);
        }
        if (e.credentialHash != null) {
            byCredential.put(e.credentialHash, e);
        }
        if (e.previousCredentialHash != null) {
            byCredential.put(e.previousCredentialHash, e);
        }
    }

    private void unmap(Entry old) {
        if (old.credentialHash != null) {
            byCredential.remove(old.credentialHash, old);
        }
        if (old.previousCredentialHash != null) {
            byCredential.remove(old.previousCredentialHash, old);
        }
    }

    // --- writes (after their commit) -------------------------------------------------------

    /**
     * After a committed write changed a machine's identity (enrolled, new credential, tier, tags)
     * or removed it: the committed row replaces the entry. Re-reading under the lock orders
     * concurrent identity writes. (A full report committed between this read and the replacement
     * leaves older reported fields in the index; the machine's next steady check-in then takes
     * the full path once, which rewrites them: a spurious history row at worst, never a lost one.)
     */
    void refresh(Database db, MachineId id) throws StoreException {
        synchronized (lock) {
            if (touched != null) {
                touched.add(id);
            }
            Optional<Entry> row = db.inTransaction(c -> read(c, id));
            if (row.isEmpty()) {
                Entry old = byId.remove(id);
                if (old != null) {
                    unmap(old);
                }
                return;
            }
            if (touched != null && !byId.containsKey(id)) {
                return; // not loaded yet: the loader reads it again at its end
            }
            insert(row.get());
        }
    }

    /** A miss read from the database while the index is still loading. */
    void cacheRead(Entry e) {
        synchronized (lock) {
            if (touched != null && !touched.contains(e.machine.id()) && !byId.containsKey(e.machine.id())) {
                insert(e);
            }
        }
    }

    /** After a committed full report (the report writer's thread, in commit order). */
    void reported(MachineId id, Reported reported) {
        Entry e = byId.get(id);
        if (e != null) {
            e.reported = share(reported);
            return;
        }
        if (!complete) {
            synchronized (lock) {
                if (touched != null) {
                    touched.add(id);
                }
            }
        }
    }

    private Reported share(Reported r) {
        return new Reported(share(r.kernel()), r.state(), r.version(), share(r.clientVersion()), r.bootTime());
    }
}
