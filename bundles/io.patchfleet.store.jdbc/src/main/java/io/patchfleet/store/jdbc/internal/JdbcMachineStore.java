package io.patchfleet.store.jdbc.internal;

import io.patchfleet.model.KernelId;
import io.patchfleet.model.Machine;
import io.patchfleet.model.MachineEvent;
import io.patchfleet.model.MachineId;
import io.patchfleet.model.MachineReport;
import io.patchfleet.model.PatchState;
import io.patchfleet.model.TierName;
import io.patchfleet.store.api.HealthCount;
import io.patchfleet.store.api.MachineFilter;
import io.patchfleet.store.api.MachineStatus;
import io.patchfleet.store.api.MachineStore;
import io.patchfleet.store.api.StoreException;
import io.patchfleet.store.api.RolloutDecision;
import io.patchfleet.store.api.StoredReport;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;

/**
 * {@link MachineStore} over JDBC. A check-in ({@link #recordReport}) is: update the machine row
 * (its row lock is the only lock taken), insert the report and its events, point the machine at
 * the report. Check-ins are group-committed ({@link ReportWriter}): concurrent ones share one
 * transaction and one fsync, and each caller returns only after that commit.
 *
 * <p><b>History retention.</b> A steady-state check-in (nothing changed but uptime and the time
 * it was seen, no events) updates only the machine row: {@link #lastReport} and the filters see
 * it, but it adds no row to the history that {@link #reports} pages through. The history holds
 * every check-in that changed something — kernel, patch state or version, client version, a
 * reboot — and every check-in with events, until {@link #deleteReportsBefore} removes it; a
 * fleet checking in hourly with nothing to report therefore does not grow the database.
 */
@Component(service = MachineStore.class)
public final class JdbcMachineStore implements MachineStore {
    /** Reports deleted per retention transaction. */
    static final int RETENTION_BATCH = 1000;

    private static final String REPORT_COLUMNS = "kernel_release, kernel_arch, kernel_flavour, kernel_build, "
            + "patch_state, patch_version, client_version, boot_time, uptime_ms";
    private static final String STATUS_COLUMNS = "m.machine_id, m.tier_name, m.tags, m.enrolled_at, m.last_seen, "
            + "m.kernel_release, m.kernel_arch, m.kernel_flavour, m.kernel_build, m.patch_state, m.patch_version, "
            + "m.client_version, m.boot_time, m.uptime_ms";

    /** The state counted for a machine that never reported (what the SQL's COALESCE says too). */
    private static final PatchState NEVER_REPORTED = PatchState.fromWire("needs-check");

    /** Most reports in one group commit. */
    static final int MAX_BATCH = 1000;

    /**
     * Group-commit writers; a machine's reports always go to the same one (by its id), so they
     * commit in order. Two, not one: a full report costs HSQLDB ~1 ms of CPU on a million-machine
     * fleet, and one writer thread, scheduled like any of the dozens of busy request threads,
     * fell behind at 5 % full reports of 5,000 check-ins/s — full reports then waited ~100 ms
     * (bench/checkin.sh, 2026-11-26). Different machines' rows do not conflict under MVCC.
     */
    static final int WRITERS = 2;

    private final Database db;
    private volatile ReportWriter[] writers;

    @Activate
    public JdbcMachineStore(@Reference Database db) {
        this.db = db;
    }

    @Override
    public Machine enroll(Machine machine) throws StoreException {
        Objects.requireNonNull(machine, "machine");
        String tags = Machines.tags(machine.tags());
        Machine enrolled = enrollInTransaction(machine, tags);
        db.fleet().refresh(db, machine.id());
        return enrolled;
    }

    private Machine enrollInTransaction(Machine machine, String tags) throws StoreException {
        return db.inTransaction(c -> {
            Tiers.position(c, machine.tier());
            int n = Sql.update(c, "UPDATE machines SET tier_name = ?, tags = ? WHERE machine_id = ?",
                    machine.tier().value(), tags, machine.id().value());
            if (n == 0) {
                Sql.update(c, "INSERT INTO machines (machine_id, tier_name, tags, enrolled_at) VALUES (?, ?, ?, ?)",
                        machine.id().value(), machine.tier().value(), tags, machine.enrolledAt());
            }
            return Machines.find(c, machine.id()).orElseThrow();
        });
    }

    @Override
    public Optional<Machine> find(MachineId id) throws StoreException {
        Objects.requireNonNull(id, "machine id");
        FleetIndex fleet = db.fleet();
        FleetIndex.Entry known = fleet.byId(id);
        if (known != null) {
            return Optional.of(known.machine);
        }
        if (fleet.complete()) {
            return Optional.empty();
        }
        Optional<FleetIndex.Entry> found = db.inTransaction(c -> fleet.read(c, id));
        found.ifPresent(fleet::cacheRead);
        return found.map(e -> e.machine);
    }

    @Override
    public List<Machine> findByTier(TierName tier, int offset, int limit) throws StoreException {
        Objects.requireNonNull(tier, "tier");
        checkPage(offset, limit);
        return db.inTransaction(c -> {
            List<Machine> out = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement("SELECT machine_id, tier_name, tags, enrolled_at FROM machines "
                    + "WHERE tier_name = ? ORDER BY machine_id OFFSET ? ROWS FETCH FIRST ? ROWS ONLY")) {
                try (ResultSet rs = Sql.bind(ps, tier.value(), offset, limit).executeQuery()) {
                    while (rs.next()) {
                        out.add(Machines.machine(rs));
                    }
                }
            }
            return out;
        });
    }

    /**
     * A steady-state check-in of a machine the {@link FleetIndex} knows goes to the
     * {@link SeenJournal} (a memory-mapped append, no database write: on return it survives a crash
     * of this process, and a power loss once the journal's next sync ran, within 100 ms by
     * default); everything else to the group-commit writer, which returns after the fsync that
     * holds the check-in.
     */
    @Override
    public void recordReport(StoredReport stored) throws StoreException {
        Objects.requireNonNull(stored, "report");
        MachineReport r = stored.report();
        if (r.events().isEmpty()) {
            FleetIndex.Entry known = db.fleet().byId(r.machineId());
            FleetIndex.Reported last = known == null ? null : known.reported;
            if (last != null && last.sameAs(r)) {
                db.seen().append(r.machineId().value(), Sql.micros(stored.receivedAt()), r.uptime().toMillis());
                return;
            }
        }
        if (!writer(r.machineId()).write(stored)) {
            throw new StoreException(StoreException.Reason.NOT_FOUND, "machine " + r.machineId() + " is not enrolled");
        }
    }

    private ReportWriter writer(MachineId machine) {
        ReportWriter[] ws = writers;
        if (ws == null) {
            synchronized (this) {
                if (writers == null) {
                    FleetIndex fleet = db.fleet();
                    ReportWriter[] created = new ReportWriter[WRITERS];
                    for (int i = 0; i < created.length; i++) {
                        created[i] = new ReportWriter(db, JdbcMachineStore::write, MAX_BATCH, "patchfleet-report-writer-" + i,
                                report -> fleet.reported(report.machineId(), FleetIndex.Reported.of(report)));
                    }
                    writers = created;
                }
                ws = writers;
            }
        }
        return ws[Math.floorMod(machine.value().hashCode(), ws.length)];
    }

    /** Stops the group-commit writers; check-ins still queued fail as unavailable. */
    @Deactivate
    synchronized void deactivate() {
        if (writers != null) {
            for (ReportWriter w : writers) {
                w.close();
            }
        }
    }

    /**
     * One report, inside the writer's batch transaction. A steady-state check-in — same kernel,
     * patch state and version, client version and boot time as the machine row already holds,
     * and no events — only moves {@code last_seen} and {@code uptime_ms}: it adds no history row.
     * Anything else is a full report: the machine row, a history row and its events.
     *
     * @return false if the machine is not enrolled
     */
    private static final String STEADY_UPDATE = "UPDATE machines SET last_seen = ?, uptime_ms = ? WHERE machine_id = ? AND "
            + "kernel_release = ? AND kernel_arch = ? AND kernel_flavour = ? AND kernel_build = ? AND "
            + "patch_state = ? AND patch_version = ? AND client_version = ? AND boot_time = ?";
    private static final String INSERT_REPORT = "INSERT INTO machine_reports (machine_id, received_at, "
            + REPORT_COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
    private static final String INSERT_EVENT = "INSERT INTO machine_events (report_id, ordinal, "
            + "event_kind, event_time, patch_version, detail) VALUES (?, ?, ?, ?, ?, ?)";
    private static final String FULL_UPDATE = "UPDATE machines SET last_seen = ?, kernel_release = ?, kernel_arch = ?, "
            + "kernel_flavour = ?, kernel_build = ?, patch_state = ?, patch_version = ?, client_version = ?, "
            + "boot_time = ?, uptime_ms = ?, last_report_id = ? WHERE machine_id = ?";

    static boolean write(Statements s, StoredReport stored) throws SQLException {
        MachineReport r = stored.report();
        KernelId k = r.kernel();
        Object[] fields = {k.release(), k.architecture(), k.flavour(), k.build(), r.patchState().wireName(),
                r.patchVersion(), r.clientVersion(), r.bootTime(), r.uptime().toMillis()};
        if (r.events().isEmpty()) {
            Object[] args = new Object[fields.length + 2];
            args[0] = stored.receivedAt();
            args[1] = r.uptime().toMillis();
            args[2] = r.machineId().value();
            System.arraycopy(fields, 0, args, 3, fields.length - 1);
            if (s.update(STEADY_UPDATE, args) == 1) {
                return true;
            }
        }
        // The history row first, so that the machine row is updated once, with its last report's
        // id among the fields: every UPDATE of a machines row re-links it in each of the table's
        // indexes, and that was half of a full report's cost (bench/checkin.sh profile, issue 4).
        long reportId;
        try {
            PreparedStatement ps = s.withKeys(INSERT_REPORT);
            Object[] insert = new Object[fields.length + 2];
            insert[0] = r.machineId().value();
            insert[1] = stored.receivedAt();
            System.arraycopy(fields, 0, insert, 2, fields.length);
            Sql.bind(ps, insert).executeUpdate();
            try (ResultSet keys = ps.getGeneratedKeys()) {
                keys.next();
                reportId = keys.getLong(1);
            }
        } catch (java.sql.SQLIntegrityConstraintViolationException unknownMachine) {
            return false; // the foreign key: no such machine (this statement alone is rolled back)
        }
        if (!r.events().isEmpty()) {
            PreparedStatement ps = s.get(INSERT_EVENT);
            ps.clearBatch(); // a reused statement: nothing left over from a failed or retried transaction
            for (int i = 0; i < r.events().size(); i++) {
                MachineEvent e = r.events().get(i);
                Sql.bind(ps, reportId, i, e.kind().wireName(), e.time(), e.patchVersion(), e.detail()).addBatch();
            }
            ps.executeBatch();
        }
        Object[] args = new Object[fields.length + 3];
        args[0] = stored.receivedAt();
        System.arraycopy(fields, 0, args, 1, fields.length);
        args[args.length - 2] = reportId;
        args[args.length - 1] = r.machineId().value();
        int n = s.update(FULL_UPDATE, args);
        if (n == 0) {
            // Removed meanwhile: take the history row back out (its events go with it).
            s.update("DELETE FROM machine_reports WHERE report_id = ?", reportId);
            return false;
        }
        return true;
    }

    /**
     * The machine row's last check-in (a steady-state check-in updates only the row); the events
     * are those of the last history row when that row is this check-in.
     */
    @Override
    public Optional<StoredReport> lastReport(MachineId id) throws StoreException {
        Objects.requireNonNull(id, "machine id");
        return stable(() -> lastReportInDatabase(id).map(this::withJournal));
    }

    /** A read of the database merged with the journal. */
    @FunctionalInterface
    private interface MergedRead<T> {
        T read() throws StoreException;
    }

    /**
     * Runs a merged read again if a fold moved values from the journal into the database while
     * it ran (it could have read the database before the fold and the journal after it). Folds
     * happen every few minutes, so a read runs again rarely; after ten tries the last answer
     * stands.
     */
    private <T> T stable(MergedRead<T> read) throws StoreException {
        SeenJournal journal = db.seen();
        for (int attempt = 1;; attempt++) {
            long epoch = journal.foldEpoch();
            T result = read.read();
            if (journal.foldEpoch() == epoch || attempt == 10) {
                return result;
            }
        }
    }

    /**
     * A report with the machine's newest journaled steady-state check-in, if that is newer than
     * what the database holds: same fields, that check-in's time and uptime, no events.
     */
    private StoredReport withJournal(StoredReport s) {
        SeenJournal.Seen j = db.seen().get(s.report().machineId().value());
        if (j == null || !j.at().isAfter(s.receivedAt())) {
            return s;
        }
        MachineReport r = s.report();
        return new StoredReport(new MachineReport(r.machineId(), r.kernel(), r.patchState(), r.patchVersion(),
                r.clientVersion(), r.bootTime(), Duration.ofMillis(j.uptimeMs()), List.of()), j.at());
    }

    private Optional<StoredReport> lastReportInDatabase(MachineId id) throws StoreException {
        return db.inTransaction(c -> {
            StoredReport row;
            Long reportId;
            try (PreparedStatement ps = c.prepareStatement("SELECT m.last_seen, m.last_report_id, r.received_at, "
                    + prefixed("m.") + " FROM machines m LEFT JOIN machine_reports r ON r.report_id = m.last_report_id "
                    + "WHERE m.machine_id = ? AND m.last_seen IS NOT NULL")) {
                try (ResultSet rs = Sql.bind(ps, id.value()).executeQuery()) {
                    if (!rs.next()) {
                        return Optional.<StoredReport>empty();
                    }
                    Instant seen = Sql.instant(rs, "last_seen");
                    row = new StoredReport(report(rs, id, List.of()), seen);
                    reportId = seen.equals(Sql.instant(rs, "received_at")) ? rs.getLong("last_report_id") : null;
                }
            }
            if (reportId == null) {
                return Optional.of(row);
            }
            MachineReport r = row.report();
            return Optional.of(new StoredReport(new MachineReport(id, r.kernel(), r.patchState(), r.patchVersion(),
                    r.clientVersion(), r.bootTime(), r.uptime(), events(c, reportId)), row.receivedAt()));
        });
    }

    /**
     * {@inheritDoc}
     *
     * <p>The check-in hot path calls this for every check-in: it compares with the decision the
     * fleet index holds (in memory) and writes one UPDATE only when the answer changed — a
     * machine entering or leaving a hold, a wave or window time moving — never for the steady
     * state, which keeps writing only the {@link SeenJournal}.
     */
    @Override
    public boolean recordDecision(MachineId id, RolloutDecision decision) throws StoreException {
        Objects.requireNonNull(id, "machine id");
        Objects.requireNonNull(decision, "decision");
        FleetIndex fleet = db.fleet();
        FleetIndex.Entry known = fleet.byId(id);
        if (known != null) {
            if (decision.sameAs(known.decision)) {
                return false;
            }
        } else {
            if (fleet.complete()) {
                throw new StoreException(StoreException.Reason.NOT_FOUND, "machine " + id + " is not enrolled");
            }
            // The index is still loading: compare with what is pending, else with the database.
            RolloutDecision pending = db.decisions().pending(id.value());
            Optional<RolloutDecision> current = pending != null ? Optional.of(pending) : lastDecisionWithRow(id);
            if (current == null) {
                throw new StoreException(StoreException.Reason.NOT_FOUND, "machine " + id + " is not enrolled");
            }
            if (decision.sameAs(current.orElse(null))) {
                return false;
            }
        }
        // Stored with the database's precision, so that what the index holds equals what a
        // restart loads.
        RolloutDecision stored = new RolloutDecision(decision.outcome(), decision.reason(), decision.notBefore(),
                Sql.micros(decision.decidedAt()));
        if (known != null) {
            known.decision = stored;
        }
        db.decisions().put(id.value(), stored); // written in the background (DecisionWriter)
        return true;
    }

    /** The machine's decision in the database, empty when it has none, null when there is no such machine. */
    private Optional<RolloutDecision> lastDecisionWithRow(MachineId id) throws StoreException {
        return db.inTransaction(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT decision_outcome, decision_reason, decision_not_before, "
                    + "decision_at FROM machines WHERE machine_id = ?")) {
                ps.setString(1, id.value());
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next() ? Optional.ofNullable(db.fleet().decision(rs)) : null;
                }
            }
        });
    }

    @Override
    public Optional<RolloutDecision> lastDecision(MachineId id) throws StoreException {
        Objects.requireNonNull(id, "machine id");
        FleetIndex.Entry known = db.fleet().byId(id);
        if (known != null) {
            return Optional.ofNullable(known.decision);
        }
        RolloutDecision pending = db.decisions().pending(id.value());
        if (pending != null) {
            return Optional.of(pending);
        }
        Optional<RolloutDecision> stored = lastDecisionWithRow(id);
        return stored == null ? Optional.empty() : stored;
    }

    @Override
    public List<StoredReport> reports(MachineId id, Instant since, int limit) throws StoreException {
        Objects.requireNonNull(id, "machine id");
        Objects.requireNonNull(since, "since");
        checkPage(0, limit);
        return db.inTransaction(c -> reports(c, "SELECT r.report_id, r.machine_id, r.received_at, " + prefixed("r.")
                + " FROM machine_reports r WHERE r.machine_id = ? AND r.received_at >= ?"
                + " ORDER BY r.received_at, r.report_id FETCH FIRST ? ROWS ONLY", id.value(), since, limit));
    }

    @Override
    public boolean remove(MachineId id) throws StoreException {
        Objects.requireNonNull(id, "machine id");
        try {
            return db.inTransaction(c -> Sql.update(c, "DELETE FROM machines WHERE machine_id = ?", id.value()) == 1);
        } finally {
            db.fleet().refresh(db, id);
            db.seen().forget(id.value());
        }
    }

    /**
     * Machines matching {@code filter}, in id order. Last-seen values come from the database and
     * the journal ({@link #withJournal}); a filter on last seen with values still in the journal
     * is applied here, over the rows matching the other criteria (a key-ordered scan), because
     * the database's {@code last_seen} may be older than the truth until the journal is folded.
     */
    @Override
    public List<MachineStatus> query(MachineFilter filter, int offset, int limit) throws StoreException {
        Objects.requireNonNull(filter, "filter");
        db.decisions().flush(); // rows and decision filters read the database: pending decisions first
        checkPage(offset, limit);
        if (filtersOnJournal(filter)) {
            return stable(() -> {
                List<MachineStatus> out = new ArrayList<>();
                int[] skip = {offset};
                scan(filter, status -> {
                    if (skip[0] > 0) {
                        skip[0]--;
                        return true;
                    }
                    out.add(status);
                    return out.size() < limit;
                });
                return out;
            });
        }
        return stable(() -> queryInDatabase(filter, offset, limit));
    }

    private List<MachineStatus> queryInDatabase(MachineFilter filter, int offset, int limit) throws StoreException {
        List<Object> args = new ArrayList<>();
        String where = where(filter, args);
        args.add(offset);
        args.add(limit);
        List<MachineStatus> rows = db.inTransaction(c -> {
            List<MachineStatus> out = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement("SELECT " + STATUS_COLUMNS + " FROM machines m" + where
                    + " ORDER BY m.machine_id OFFSET ? ROWS FETCH FIRST ? ROWS ONLY")) {
                try (ResultSet rs = Sql.bind(ps, args.toArray()).executeQuery()) {
                    while (rs.next()) {
                        out.add(status(rs));
                    }
                }
            }
            return out;
        });
        List<MachineStatus> out = new ArrayList<>(rows.size());
        for (MachineStatus m : rows) {
            out.add(new MachineStatus(m.machine(), m.lastReport().map(this::withJournal)));
        }
        return out;
    }

    private static MachineStatus status(ResultSet rs) throws SQLException {
        Machine m = Machines.machine(rs);
        Instant seen = Sql.instant(rs, "last_seen");
        return new MachineStatus(m, seen == null ? Optional.empty() : Optional.of(new StoredReport(report(rs, m.id(), List.of()), seen)));
    }

    private boolean filtersOnJournal(MachineFilter f) {
        return (f.seenAfter().isPresent() || f.seenBefore().isPresent()) && !db.seen().isEmpty();
    }

    private static boolean seenMatches(MachineFilter f, Optional<StoredReport> last) {
        Instant seen = last.map(StoredReport::receivedAt).orElse(null);
        if (f.seenAfter().isPresent() && (seen == null || seen.isBefore(f.seenAfter().get()))) {
            return false;
        }
        return f.seenBefore().isEmpty() || seen == null || seen.isBefore(f.seenBefore().get());
    }

    /** A visitor of {@link #scan}; returns false to stop. */
    @FunctionalInterface
    private interface Visitor {
        boolean visit(MachineStatus status) throws StoreException;
    }

    /**
     * Every machine matching {@code filter} in id order, its last seen time merged with the
     * journal and the last-seen criteria applied to the merged value; pages of
     * {@link FleetIndex#PAGE} rows by key, so a million machines never sit in memory at once.
     */
    private void scan(MachineFilter filter, Visitor visitor) throws StoreException {
        MachineFilter rest = new MachineFilter(filter.tier(), filter.kernelRelease(), filter.patchVersion(),
                filter.patchState(), Optional.empty(), Optional.empty(), filter.held(), filter.offered());
        String after = "";
        while (true) {
            List<Object> args = new ArrayList<>();
            String where = where(rest, args);
            args.add(after);
            String sql = "SELECT " + STATUS_COLUMNS + " FROM machines m" + (where.isEmpty() ? " WHERE " : where + " AND ")
                    + "m.machine_id > ? ORDER BY m.machine_id FETCH FIRST " + FleetIndex.PAGE + " ROWS ONLY";
            List<MachineStatus> page = db.inTransaction(c -> {
                List<MachineStatus> out = new ArrayList<>();
                try (PreparedStatement ps = c.prepareStatement(sql)) {
                    try (ResultSet rs = Sql.bind(ps, args.toArray()).executeQuery()) {
                        while (rs.next()) {
                            out.add(status(rs));
                        }
                    }
                }
                return out;
            });
            for (MachineStatus m : page) {
                MachineStatus merged = new MachineStatus(m.machine(), m.lastReport().map(this::withJournal));
                if (seenMatches(filter, merged.lastReport()) && !visitor.visit(merged)) {
                    return;
                }
            }
            if (page.size() < FleetIndex.PAGE) {
                return;
            }
            after = page.get(page.size() - 1).machine().id().value();
        }
    }

    @Override
    public long count(MachineFilter filter) throws StoreException {
        Objects.requireNonNull(filter, "filter");
        db.decisions().flush(); // rows and decision filters read the database: pending decisions first
        if (filtersOnJournal(filter)) {
            return stable(() -> {
                long[] n = {0};
                scan(filter, m -> {
                    n[0]++;
                    return true;
                });
                return n[0];
            });
        }
        List<Object> args = new ArrayList<>();
        String where = where(filter, args);
        return db.inTransaction(c -> Sql.queryLong(c, "SELECT COUNT(*) FROM machines m" + where, args.toArray()));
    }

    /**
     * Machines per tier, patch version and state. The whole fleet ({@link MachineFilter#ALL}, what
     * the metrics count) is counted in memory from the {@link FleetIndex} once it is loaded: a
     * database scan of a million rows takes a core for over a minute.
     */
    @Override
    public List<HealthCount> patchHealth(MachineFilter filter) throws StoreException {
        Objects.requireNonNull(filter, "filter");
        db.decisions().flush(); // rows and decision filters read the database: pending decisions first
        Map<TierName, Integer> positions = new LinkedHashMap<>();
        Map<List<Object>, long[]> counts = new LinkedHashMap<>();
        if (filter.equals(MachineFilter.ALL) && db.fleet().complete()) {
            positions.putAll(tierPositions());
            for (FleetIndex.Entry e : db.fleet().entries()) {
                FleetIndex.Reported r = e.reported;
                List<Object> key = List.of(e.machine.tier(), r == null ? 0L : r.version(), r == null ? NEVER_REPORTED : r.state());
                counts.computeIfAbsent(key, k -> new long[1])[0]++;
            }
        } else if (filtersOnJournal(filter)) {
            counts.putAll(stable(() -> {
                Map<List<Object>, long[]> merged = new LinkedHashMap<>();
                scan(filter, m -> {
                    List<Object> key = List.of(m.machine().tier(), m.lastReport().map(s -> s.report().patchVersion()).orElse(0L),
                            m.lastReport().map(s -> s.report().patchState()).orElse(NEVER_REPORTED));
                    merged.computeIfAbsent(key, k -> new long[1])[0]++;
                    return true;
                });
                return merged;
            }));
            positions.putAll(tierPositions());
        } else {
            return patchHealthInDatabase(filter);
        }
        List<HealthCount> out = new ArrayList<>();
        counts.forEach((k, n) -> {
            if (positions.containsKey((TierName) k.get(0))) {
                out.add(new HealthCount((TierName) k.get(0), (Long) k.get(1), (PatchState) k.get(2), n[0]));
            }
        });
        out.sort(Comparator.<HealthCount>comparingInt(h -> positions.get(h.tier()))
                .thenComparingLong(HealthCount::patchVersion).thenComparing(HealthCount::state));
        return out;
    }

    private Map<TierName, Integer> tierPositions() throws StoreException {
        return db.inTransaction(c -> {
            Map<TierName, Integer> positions = new LinkedHashMap<>();
            try (PreparedStatement ps = c.prepareStatement("SELECT tier_name, tier_position FROM tiers");
                    ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    positions.put(TierName.of(rs.getString(1)), rs.getInt(2));
                }
            }
            return positions;
        });
    }

    private List<HealthCount> patchHealthInDatabase(MachineFilter filter) throws StoreException {
        List<Object> args = new ArrayList<>();
        String where = where(filter, args);
        return db.inTransaction(c -> {
            List<HealthCount> out = new ArrayList<>();
            Map<TierName, Integer> positions = new LinkedHashMap<>();
            try (PreparedStatement ps = c.prepareStatement("SELECT h.tier_position, h.tier_name, h.pv, h.ps, COUNT(*) "
                    + "FROM (SELECT t.tier_position, m.tier_name, COALESCE(m.patch_version, 0) AS pv, "
                    + "COALESCE(m.patch_state, 'needs-check') AS ps FROM machines m JOIN tiers t ON t.tier_name = m.tier_name"
                    + where + ") h GROUP BY h.tier_position, h.tier_name, h.pv, h.ps")) {
                try (ResultSet rs = Sql.bind(ps, args.toArray()).executeQuery()) {
                    while (rs.next()) {
                        TierName tier = TierName.of(rs.getString(2));
                        positions.put(tier, rs.getInt(1));
                        out.add(new HealthCount(tier, rs.getLong(3), PatchState.fromWire(rs.getString(4)), rs.getLong(5)));
                    }
                }
            }
            out.sort(Comparator.<HealthCount>comparingInt(h -> positions.get(h.tier()))
                    .thenComparingLong(HealthCount::patchVersion).thenComparing(HealthCount::state));
            return out;
        });
    }

    @Override
    public long deleteReportsBefore(Instant cutoff) throws StoreException {
        Objects.requireNonNull(cutoff, "cutoff");
        long total = 0;
        while (true) {
            int deleted = db.inTransaction(c -> {
                List<Long> ids = new ArrayList<>();
                try (PreparedStatement ps = c.prepareStatement("SELECT r.report_id FROM machine_reports r "
                        + "WHERE r.received_at < ? AND NOT EXISTS "
                        + "(SELECT 1 FROM machines m WHERE m.machine_id = r.machine_id AND m.last_report_id = r.report_id) "
                        + "ORDER BY r.report_id FETCH FIRST " + RETENTION_BATCH + " ROWS ONLY")) {
                    try (ResultSet rs = Sql.bind(ps, cutoff).executeQuery()) {
                        while (rs.next()) {
                            ids.add(rs.getLong(1));
                        }
                    }
                }
                if (ids.isEmpty()) {
                    return 0;
                }
                int n = 0;
                try (PreparedStatement ev = c.prepareStatement("DELETE FROM machine_events WHERE report_id = ?");
                        PreparedStatement rep = c.prepareStatement("DELETE FROM machine_reports WHERE report_id = ?")) {
                    for (long id : ids) {
                        ev.setLong(1, id);
                        ev.addBatch();
                        rep.setLong(1, id);
                        rep.addBatch();
                    }
                    ev.executeBatch();
                    for (int count : rep.executeBatch()) {
                        n += Math.max(count, 0);
                    }
                }
                return n;
            });
            total += deleted;
            if (deleted == 0) {
                return total;
            }
        }
    }

    private static String where(MachineFilter f, List<Object> args) {
        List<String> terms = new ArrayList<>();
        f.tier().ifPresent(t -> {
            terms.add("m.tier_name = ?");
            args.add(t.value());
        });
        f.kernelRelease().ifPresent(k -> {
            terms.add("m.kernel_release = ?");
            args.add(k);
        });
        if (f.patchVersion().isPresent()) {
            terms.add("m.patch_version = ?");
            args.add(f.patchVersion().getAsLong());
        }
        f.patchState().ifPresent(s -> {
            terms.add("m.patch_state = ?");
            args.add(s.wireName());
        });
        f.seenAfter().ifPresent(t -> {
            terms.add("m.last_seen >= ?");
            args.add(t);
        });
        f.seenBefore().ifPresent(t -> {
            terms.add("(m.last_seen < ? OR m.last_seen IS NULL)");
            args.add(t);
        });
        f.held().ifPresent(reason -> {
            terms.add("m.decision_outcome = 'hold'");
            if (!reason.isEmpty()) {
                terms.add("LOWER(m.decision_reason) LIKE ? ESCAPE '\\'");
                args.add("%" + reason.toLowerCase(java.util.Locale.ROOT).replace("\\", "\\\\").replace("%", "\\%")
                        .replace("_", "\\_") + "%");
            }
        });
        if (f.offered().isPresent()) {
            terms.add("m.decision_outcome = 'offer' AND m.decision_reason = ?");
            args.add(RolloutDecision.offerReason(f.offered().getAsLong()));
        }
        return terms.isEmpty() ? "" : " WHERE " + String.join(" AND ", terms);
    }

    private static String prefixed(String prefix) {
        return prefix + REPORT_COLUMNS.replace(", ", ", " + prefix);
    }

    private static MachineReport report(ResultSet rs, MachineId id, List<MachineEvent> events) throws SQLException {
        return new MachineReport(id, new KernelId(rs.getString("kernel_release"), rs.getString("kernel_arch"),
                rs.getString("kernel_flavour"), rs.getString("kernel_build")), PatchState.fromWire(rs.getString("patch_state")),
                rs.getLong("patch_version"), rs.getString("client_version"), Sql.instant(rs, "boot_time"),
                Duration.ofMillis(rs.getLong("uptime_ms")), events);
    }

    /** Reports selected by {@code sql} (report_id first), each with its events. */
    private static List<StoredReport> reports(Connection c, String sql, Object... args) throws SQLException {
        List<StoredReport> out = new ArrayList<>();
        List<Long> ids = new ArrayList<>();
        List<Object[]> rows = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            try (ResultSet rs = Sql.bind(ps, args).executeQuery()) {
                while (rs.next()) {
                    ids.add(rs.getLong("report_id"));
                    MachineId id = MachineId.of(rs.getString("machine_id"));
                    rows.add(new Object[] {report(rs, id, List.of()), Sql.instant(rs, "received_at")});
                }
            }
        }
        {
            for (int i = 0; i < ids.size(); i++) {
                List<MachineEvent> events = events(c, ids.get(i));
                MachineReport r = (MachineReport) rows.get(i)[0];
                out.add(new StoredReport(new MachineReport(r.machineId(), r.kernel(), r.patchState(), r.patchVersion(),
                        r.clientVersion(), r.bootTime(), r.uptime(), events), (Instant) rows.get(i)[1]));
            }
        }
        return out;
    }

    private static List<MachineEvent> events(Connection c, long reportId) throws SQLException {
        List<MachineEvent> events = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT event_kind, event_time, patch_version, detail "
                + "FROM machine_events WHERE report_id = ? ORDER BY ordinal")) {
            ps.setLong(1, reportId);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    events.add(new MachineEvent(MachineEvent.Kind.fromWire(rs.getString(1)), Sql.instant(rs, "event_time"),
                            rs.getLong(3), rs.getString(4)));
                }
            }
        }
        return events;
    }

    private static void checkPage(int offset, int limit) {
        if (offset < 0 || limit < 1 || limit > 1000) {
            throw new IllegalArgumentException("offset must not be negative and limit in 1..1000");
        }
    }
}
