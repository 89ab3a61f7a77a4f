package io.patchfleet.store.jdbc.internal;

import io.patchfleet.model.Cve;
import io.patchfleet.model.KernelId;
import io.patchfleet.model.PatchRelease;
import io.patchfleet.model.Severity;
import io.patchfleet.model.Sha256;
import io.patchfleet.model.TierName;
import io.patchfleet.store.api.PatchCatalog;
import io.patchfleet.store.api.StoreException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/** {@link PatchCatalog} over JDBC. */
@Component(service = PatchCatalog.class)
public final class JdbcPatchCatalog implements PatchCatalog {
    private static final String COLUMNS = "r.release_id, r.kernel_release, r.kernel_arch, r.kernel_flavour, "
            + "r.kernel_build, r.patch_version, r.module_name, r.target_name, r.sha256, r.module_length, "
            + "r.description, r.published_at, r.supersedes, r.revoked, r.promoted_to";
    private static final String KERNEL_IS = "r.kernel_release = ? AND r.kernel_arch = ? AND r.kernel_flavour = ? "
            + "AND r.kernel_build = ?";
    /**
     * A machine's running kernel against releases, as {@link KernelId#matches} defines it: a
     * release published without a build (the publisher reads vermagic, which names no build)
     * serves every build of its release, architecture and flavour; one with a build only that build.
     */
    private static final String RUNS_ON = "r.kernel_release = ? AND r.kernel_arch = ? AND r.kernel_flavour = ? "
            + "AND (r.kernel_build = '' OR r.kernel_build = ? OR ? = '')";

    private final Database db;

    @Activate
    public JdbcPatchCatalog(@Reference Database db) {
        this.db = db;
    }

    @Override
    public boolean add(PatchRelease release) throws StoreException {
        Objects.requireNonNull(release, "release");
        return db.inCatalogWrite(c -> {
            try (Adder adder = new Adder(c)) {
                return adder.add(release);
            }
        });
    }

    /**
     * One transaction for all: a sync of thousands of releases is one durable commit, not
     * thousands. Its statements are prepared once for the whole list: prepared per release (five
     * each), parsing SQL was most of the 1.7 s that adding a 1,000-release sync took (BENCHMARKS.md, sync).
     */
    @Override
    public List<PatchRelease> addAll(List<PatchRelease> releases) throws StoreException {
        return addAll(releases, () -> { });
    }

    /** The rows written, then {@code beforeCommit} awaited inside the transaction: its work and the inserts overlap. */
    @Override
    public List<PatchRelease> addAll(List<PatchRelease> releases, BeforeCommit beforeCommit) throws StoreException {
        releases.forEach(r -> Objects.requireNonNull(r, "release"));
        Objects.requireNonNull(beforeCommit, "beforeCommit");
        if (releases.isEmpty()) {
            beforeCommit.run();
            return List.of();
        }
        return db.inCatalogWrite(c -> {
            List<PatchRelease> changed = new java.util.ArrayList<>();
            try (Adder adder = new Adder(c)) {
                for (PatchRelease r : releases) {
                    if (adder.add(r)) {
                        changed.add(r);
                    }
                }
            }
            beforeCommit.run();
            return changed;
        });
    }

    /** Adds releases in one transaction, each statement prepared once (on first use). */
    private final class Adder implements AutoCloseable {
        private final Connection c;
        private PreparedStatement find;
        private PreparedStatement findCves;
        private PreparedStatement insert;
        private PreparedStatement insertRevoked;
        private PreparedStatement insertCves;
        private PreparedStatement revoke;
        /** Where new releases land; the tier list cannot change under the catalog write lock. */
        private TierName firstTier;

        Adder(Connection c) {
            this.c = c;
        }

        boolean add(PatchRelease release) throws SQLException, StoreException {
            PatchRelease stored = release.withRevoked(false);
            Optional<Row> existing = find(release.kernel(), release.version());
            if (existing.isPresent()) {
                if (!existing.get().release.withRevoked(false).equals(withMicros(stored))) {
                    throw new StoreException(StoreException.Reason.CONFLICT, "release " + release.kernel() + " #"
                            + release.version() + " exists with other content");
                }
                if (release.revoked()) {
                    // The publisher's signed metadata revoked it: no admin here may keep it (UpstreamWithdrawals), also
                    // when it was revoked here before for another cause. A no-op update when it was the publisher already.
                    if (revoke == null) {
                        revoke = c.prepareStatement("UPDATE patch_releases SET revoked = TRUE, revoked_by = 'publisher' WHERE "
                                + "release_id = ? AND (revoked = FALSE OR revoked_by IS NULL OR revoked_by <> 'publisher')");
                    }
                    Sql.bind(revoke, existing.get().id).executeUpdate();
                }
                return false;
            }
            KernelId k = release.kernel();
            PreparedStatement ps = release.revoked() ? insertRevoked : insert;
            if (ps == null) {
                ps = c.prepareStatement("INSERT INTO patch_releases (kernel_release, kernel_arch, "
                        + "kernel_flavour, kernel_build, patch_version, module_name, target_name, sha256, module_length, "
                        + "description, published_at, supersedes, revoked, promoted_to, added_at, revoked_by) "
                        + "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, " + (release.revoked() ? "'publisher'" : "NULL") + ")",
                        Statement.RETURN_GENERATED_KEYS);
                if (release.revoked()) {
                    insertRevoked = ps;
                } else {
                    insert = ps;
                }
            }
            if (firstTier == null) {
                firstTier = Tiers.first(c);
            }
            long id;
            Sql.bind(ps, k.release(), k.architecture(), k.flavour(), k.build(), release.version(),
                    release.moduleName(), release.targetName(), release.sha256().hex(), release.length(),
                    release.description(), release.publishedAt(), release.supersedes(), release.revoked(),
                    firstTier.value(), db.clock().instant()).executeUpdate();
            try (ResultSet keys = ps.getGeneratedKeys()) {
                keys.next();
                id = keys.getLong(1);
            }
            if (!release.cves().isEmpty()) {
                if (insertCves == null) {
                    insertCves = c.prepareStatement("INSERT INTO patch_cves (release_id, ordinal, cve_id, severity) VALUES (?, ?, ?, ?)");
                }
                for (int i = 0; i < release.cves().size(); i++) {
                    Cve cve = release.cves().get(i);
                    Sql.bind(insertCves, id, i, cve.id(), cve.severity().wireName()).addBatch();
                }
                insertCves.executeBatch();
            }
            return true;
        }

        private Optional<Row> find(KernelId kernel, long version) throws SQLException {
            if (find == null) {
                find = c.prepareStatement("SELECT " + COLUMNS + " FROM patch_releases r WHERE " + KERNEL_IS + " AND r.patch_version = ?");
            }
            Sql.bind(find, kernel.release(), kernel.architecture(), kernel.flavour(), kernel.build(), version);
            List<Row> rows = readRows(find);
            if (rows.isEmpty()) {
                return Optional.empty();
            }
            if (findCves == null) {
                findCves = c.prepareStatement(CVES_OF);
            }
            return Optional.of(withCves(rows, findCves).get(0));
        }

        @Override
        public void close() throws SQLException {
            SQLException first = null;
            for (PreparedStatement ps : new PreparedStatement[] {find, findCves, insert, insertRevoked, insertCves, revoke}) {
                if (ps != null) {
                    try {
                        ps.close();
                    } catch (SQLException e) {
                        first = first == null ? e : first;
                    }
                }
            }
            if (first != null) {
                throw first;
            }
        }
    }

    private static PatchRelease withMicros(PatchRelease r) {
        return new PatchRelease(r.kernel(), r.version(), r.moduleName(), r.targetName(), r.sha256(), r.length(),
                r.cves(), r.description(), Sql.micros(r.publishedAt()), r.supersedes(), r.revoked());
    }

    @Override
    public Optional<PatchRelease> find(KernelId kernel, long version) throws StoreException {
        Objects.requireNonNull(kernel, "kernel");
        return db.inTransaction(c -> find(c, kernel, version).map(Row::release));
    }

    @Override
    public List<PatchRelease> findByKernel(KernelId kernel) throws StoreException {
        Objects.requireNonNull(kernel, "kernel");
        // Cached until the next catalog or tier write (StoreCaches): the check-in hot path asks this.
        return db.caches().catalog(List.of("by-kernel", kernel), key -> db.inTransaction(c -> List.copyOf(releases(c,
                "SELECT " + COLUMNS + " FROM patch_releases r WHERE " + RUNS_ON + " ORDER BY r.patch_version",
                runsOnArgs(kernel)))));
    }

    @Override
    public List<PatchRelease> findByRelease(String kernelRelease) throws StoreException {
        KernelId.checkRelease(kernelRelease);
        return db.inTransaction(c -> releases(c, "SELECT " + COLUMNS + " FROM patch_releases r WHERE r.kernel_release = ?"
                + " ORDER BY r.kernel_arch, r.kernel_flavour, r.kernel_build, r.patch_version", kernelRelease));
    }

    @Override
    public List<PatchRelease> findAvailable(KernelId kernel, TierName tier) throws StoreException {
        Objects.requireNonNull(kernel, "kernel");
        Objects.requireNonNull(tier, "tier");
        // Cached until the next catalog or tier write (StoreCaches): the check-in hot path asks this.
        return db.caches().catalog(List.of("available", kernel, tier), key -> db.inTransaction(c -> {
            int position = Tiers.position(c, tier);
            Object[] args = {kernel.release(), kernel.architecture(), kernel.flavour(), kernel.build(), kernel.build(), position};
            return List.copyOf(releases(c, "SELECT " + COLUMNS + " FROM patch_releases r JOIN tiers t ON t.tier_name = r.promoted_to"
                    + " WHERE " + RUNS_ON + " AND r.revoked = FALSE AND t.tier_position >= ? ORDER BY r.patch_version",
                    args));
        }));
    }

    @Override
    public boolean revoke(KernelId kernel, long version) throws StoreException {
        Objects.requireNonNull(kernel, "kernel");
        return db.inCatalogWrite(c -> {
            Row row = find(c, kernel, version).orElseThrow(() -> notFound(kernel, version));
            // revoked here (an admin, a halted rollout): the cause UpstreamWithdrawals.keep refuses to undo
            return Sql.update(c, "UPDATE patch_releases SET revoked = TRUE, revoked_by = 'local' WHERE release_id = ? AND revoked = FALSE",
                    row.id) == 1;
        });
    }

    @Override
    public boolean promote(KernelId kernel, long version, TierName tier) throws StoreException {
        Objects.requireNonNull(kernel, "kernel");
        Objects.requireNonNull(tier, "tier");
        return db.inCatalogWrite(c -> {
            Row row = find(c, kernel, version).orElseThrow(() -> notFound(kernel, version));
            int target = Tiers.position(c, tier);
            if (row.release.revoked()) {
                throw new StoreException(StoreException.Reason.CONFLICT, "release " + kernel + " #" + version + " is revoked");
            }
            if (Tiers.positionOrMinus(c, row.promotedTo) >= target) {
                return false;
            }
            return Sql.update(c, "UPDATE patch_releases SET promoted_to = ? WHERE release_id = ?", tier.value(), row.id) == 1;
        });
    }

    @Override
    public int promoteAll(TierName from, TierName to) throws StoreException {
        Objects.requireNonNull(from, "from");
        Objects.requireNonNull(to, "to");
        return db.inCatalogWrite(c -> {
            int pf = Tiers.position(c, from);
            int pt = Tiers.position(c, to);
            if (pt <= pf) {
                return 0;
            }
            return Sql.update(c, "UPDATE patch_releases SET promoted_to = ? WHERE revoked = FALSE AND promoted_to IN "
                    + "(SELECT tier_name FROM tiers WHERE tier_position >= ? AND tier_position < ?)", to.value(), pf, pt);
        });
    }

    @Override
    public List<PatchRelease> findAvailableTo(TierName tier) throws StoreException {
        Objects.requireNonNull(tier, "tier");
        // Cached until the next catalog or tier write (StoreCaches): the sync API lists every tier for each
        // downstream's sync, and the same answer (the same list) tells it nothing changed.
        return db.caches().catalog(List.of("available-to", tier), key -> db.inTransaction(c -> {
            int position = Tiers.position(c, tier);
            return List.copyOf(releases(c, "SELECT " + COLUMNS + " FROM patch_releases r JOIN tiers t ON t.tier_name = r.promoted_to"
                    + " WHERE r.revoked = FALSE AND t.tier_position >= ? ORDER BY r.kernel_release, r.kernel_arch,"
                    + " r.kernel_flavour, r.kernel_build, r.patch_version", position));
        }));
    }

    @Override
    public List<PatchRelease> findAll() throws StoreException {
        return db.inTransaction(c -> releases(c, "SELECT " + COLUMNS + " FROM patch_releases r ORDER BY r.kernel_release,"
                + " r.kernel_arch, r.kernel_flavour, r.kernel_build, r.patch_version"));
    }

    @Override
    public Optional<TierName> promotedTo(KernelId kernel, long version) throws StoreException {
        Objects.requireNonNull(kernel, "kernel");
        return db.inTransaction(c -> find(c, kernel, version).map(Row::promotedTo));
    }

    private record Row(long id, PatchRelease release, TierName promotedTo) {}

    private static StoreException notFound(KernelId kernel, long version) {
        return new StoreException(StoreException.Reason.NOT_FOUND, "no release " + kernel + " #" + version);
    }

    private static Object[] runsOnArgs(KernelId k) {
        return new Object[] {k.release(), k.architecture(), k.flavour(), k.build(), k.build()};
    }

    private static Optional<Row> find(Connection c, KernelId kernel, long version) throws SQLException {
        Object[] args = {kernel.release(), kernel.architecture(), kernel.flavour(), kernel.build(), version};
        List<Row> rows = rows(c, "SELECT " + COLUMNS + " FROM patch_releases r WHERE " + KERNEL_IS
                + " AND r.patch_version = ?", args);
        return rows.stream().findFirst();
    }

    private static List<PatchRelease> releases(Connection c, String sql, Object... args) throws SQLException {
        return rows(c, sql, args).stream().map(Row::release).toList();
    }

    private static final String CVES_OF = "SELECT cve_id, severity FROM patch_cves WHERE release_id = ? ORDER BY ordinal";

    private static List<Row> rows(Connection c, String sql, Object... args) throws SQLException {
        List<Row> rows;
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            rows = readRows(Sql.bind(ps, args));
        }
        if (rows.isEmpty()) {
            return rows;
        }
        try (PreparedStatement ps = c.prepareStatement(CVES_OF)) {
            return withCves(rows, ps);
        }
    }

    /** The rows a bound query over {@link #COLUMNS} returns, without their CVEs. */
    private static List<Row> readRows(PreparedStatement ps) throws SQLException {
        List<Row> rows = new ArrayList<>();
        try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                long id = rs.getLong("release_id");
                KernelId kernel = new KernelId(rs.getString("kernel_release"), rs.getString("kernel_arch"),
                        rs.getString("kernel_flavour"), rs.getString("kernel_build"));
                PatchRelease r = new PatchRelease(kernel, rs.getLong("patch_version"), rs.getString("module_name"),
                        rs.getString("target_name"), Sha256.of(rs.getString("sha256")), rs.getLong("module_length"),
                        List.of(), rs.getString("description"), Sql.instant(rs, "published_at"),
                        rs.getLong("supersedes"), rs.getBoolean("revoked"));
                rows.add(new Row(id, r, TierName.of(rs.getString("promoted_to"))));
            }
        }
        return rows;
    }

    /** The rows with their CVEs, read with {@code cvesOf} ({@link #CVES_OF}). */
    private static List<Row> withCves(List<Row> rows, PreparedStatement cvesOf) throws SQLException {
        List<Row> out = new ArrayList<>(rows.size());
        for (Row row : rows) {
            List<Cve> cves = new ArrayList<>();
            cvesOf.setLong(1, row.id);
            try (ResultSet rs = cvesOf.executeQuery()) {
                while (rs.next()) {
                    cves.add(new Cve(rs.getString(1), Severity.fromWire(rs.getString(2))));
                }
            }
            PatchRelease r = row.release;
            out.add(cves.isEmpty() ? row : new Row(row.id, new PatchRelease(r.kernel(), r.version(), r.moduleName(),
                    r.targetName(), r.sha256(), r.length(), cves, r.description(), r.publishedAt(),
                    r.supersedes(), r.revoked()), row.promotedTo));
        }
        return out;
    }
}
