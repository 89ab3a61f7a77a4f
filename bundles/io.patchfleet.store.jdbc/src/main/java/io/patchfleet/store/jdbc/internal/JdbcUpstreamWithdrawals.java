package io.patchfleet.store.jdbc.internal;

import io.patchfleet.model.KernelId;
import io.patchfleet.store.api.StoreException;
import io.patchfleet.store.api.UpstreamWithdrawal;
import io.patchfleet.store.api.UpstreamWithdrawal.RevokedBy;
import io.patchfleet.store.api.UpstreamWithdrawals;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * {@link UpstreamWithdrawals} over JDBC: columns of {@code patch_releases} (migration V8). Every
 * write that changes whether a release is offered goes through {@link Database#inCatalogWrite}, so
 * the check-in path's cached candidates drop at once.
 */
@Component(service = UpstreamWithdrawals.class)
public final class JdbcUpstreamWithdrawals implements UpstreamWithdrawals {
    private static final String COLUMNS = "release_id, kernel_release, kernel_arch, kernel_flavour, kernel_build, patch_version, "
            + "revoked, revoked_by, withdrawn_at, withdrawn_reason, kept_by, kept_at";
    private static final String KEY = "kernel_release = ? AND kernel_arch = ? AND kernel_flavour = ? AND kernel_build = ? "
            + "AND patch_version = ?";

    private final Database db;

    @Activate
    public JdbcUpstreamWithdrawals(@Reference Database db) {
        this.db = db;
    }

    private record Row(long id, UpstreamWithdrawal state) {}

    @Override
    public Outcome recordWithdrawal(KernelId kernel, long version, String reason) throws StoreException {
        Objects.requireNonNull(kernel, "kernel");
        String why = text(reason, "reason", 512);
        return db.inCatalogWrite(c -> {
            Row row = row(c, kernel, version);
            UpstreamWithdrawal s = row.state();
            Instant now = Sql.micros(db.clock().instant());
            if (!s.withdrawn()) {
                Sql.update(c, "UPDATE patch_releases SET withdrawn_at = ?, withdrawn_reason = ? WHERE release_id = ?", now, why,
                        row.id());
            }
            if (s.revokedBy().isPresent()) {
                return Outcome.UNCHANGED;
            }
            if (s.kept()) {
                return s.withdrawn() ? Outcome.UNCHANGED : Outcome.KEPT;
            }
            Sql.update(c, "UPDATE patch_releases SET revoked = TRUE, revoked_by = 'upstream' WHERE release_id = ?", row.id());
            return Outcome.REVOKED;
        });
    }

    @Override
    public boolean keep(KernelId kernel, long version, String actor, String reason) throws StoreException {
        Objects.requireNonNull(kernel, "kernel");
        String who = text(actor, "actor", 128);
        if (who.isEmpty()) {
            throw new IllegalArgumentException("actor must have 1..128 characters");
        }
        String why = text(reason, "reason", 512);
        return db.inCatalogWrite(c -> {
            Row row = row(c, kernel, version);
            UpstreamWithdrawal s = row.state();
            if (s.revokedBy().isPresent() && s.revokedBy().get() != RevokedBy.UPSTREAM) {
                throw new StoreException(StoreException.Reason.CONFLICT, "release " + kernel + " #" + version + " was revoked by "
                        + (s.revokedBy().get() == RevokedBy.PUBLISHER ? "the publisher (clients refuse it whatever this server says)"
                                : s.revokedBy().get() == RevokedBy.LOCAL ? "an admin of this server" : "an unknown cause")
                        + "; only a release revoked because the upstream withdrew it can be kept");
            }
            if (s.kept() && s.revokedBy().isEmpty()) {
                return false;
            }
            Sql.update(c, "UPDATE patch_releases SET revoked = FALSE, revoked_by = NULL, kept_by = ?, kept_at = ?, kept_reason = ? "
                    + "WHERE release_id = ?", who, Sql.micros(db.clock().instant()), why, row.id());
            return true;
        });
    }

    @Override
    public boolean unkeep(KernelId kernel, long version) throws StoreException {
        Objects.requireNonNull(kernel, "kernel");
        return db.inCatalogWrite(c -> {
            Row row = row(c, kernel, version);
            UpstreamWithdrawal s = row.state();
            if (!s.kept()) {
                return false;
            }
            Sql.update(c, "UPDATE patch_releases SET kept_by = NULL, kept_at = NULL, kept_reason = NULL WHERE release_id = ?", row.id());
            if (s.withdrawn() && s.revokedBy().isEmpty()) {
                // revocation travels again: what the upstream withdrew is revoked here now
                Sql.update(c, "UPDATE patch_releases SET revoked = TRUE, revoked_by = 'upstream' WHERE release_id = ?", row.id());
            }
            return true;
        });
    }

    @Override
    public Optional<UpstreamWithdrawal> find(KernelId kernel, long version) throws StoreException {
        Objects.requireNonNull(kernel, "kernel");
        return db.inTransaction(c -> rows(c, "SELECT " + COLUMNS + " FROM patch_releases WHERE " + KEY, kernel.release(),
                kernel.architecture(), kernel.flavour(), kernel.build(), version).stream().findFirst().map(Row::state));
    }

    @Override
    public List<UpstreamWithdrawal> flagged() throws StoreException {
        return db.inTransaction(c -> rows(c, "SELECT " + COLUMNS + " FROM patch_releases WHERE revoked = TRUE OR "
                + "withdrawn_at IS NOT NULL OR kept_by IS NOT NULL ORDER BY kernel_release, kernel_arch, kernel_flavour, "
                + "kernel_build, patch_version").stream().map(Row::state).toList());
    }

    private static Row row(Connection c, KernelId kernel, long version) throws SQLException, StoreException {
        List<Row> rows = rows(c, "SELECT " + COLUMNS + " FROM patch_releases WHERE " + KEY, kernel.release(),
                kernel.architecture(), kernel.flavour(), kernel.build(), version);
        if (rows.isEmpty()) {
            throw new StoreException(StoreException.Reason.NOT_FOUND, "no release " + kernel + " #" + version);
        }
        return rows.get(0);
    }

    private static List<Row> rows(Connection c, String sql, Object... args) throws SQLException {
        List<Row> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            try (ResultSet rs = Sql.bind(ps, args).executeQuery()) {
                while (rs.next()) {
                    KernelId kernel = new KernelId(rs.getString("kernel_release"), rs.getString("kernel_arch"),
                            rs.getString("kernel_flavour"), rs.getString("kernel_build"));
                    Optional<RevokedBy> revokedBy = Optional.empty();
                    if (rs.getBoolean("revoked")) {
                        String by = rs.getString("revoked_by");
                        revokedBy = Optional.of(by == null ? RevokedBy.UNKNOWN : switch (by) {
                            case "publisher" -> RevokedBy.PUBLISHER;
                            case "local" -> RevokedBy.LOCAL;
                            case "upstream" -> RevokedBy.UPSTREAM;
                            default -> RevokedBy.UNKNOWN;
                        });
                    }
                    out.add(new Row(rs.getLong("release_id"), new UpstreamWithdrawal(kernel, rs.getLong("patch_version"), revokedBy,
                            Optional.ofNullable(Sql.instant(rs, "withdrawn_at")), Optional.ofNullable(rs.getString("withdrawn_reason")),
                            Optional.ofNullable(rs.getString("kept_by")), Optional.ofNullable(Sql.instant(rs, "kept_at")))));
                }
            }
        }
        return out;
    }

    private static String text(String value, String what, int max) {
        String v = value == null ? "" : value.strip();
        if (v.length() > max) {
            throw new IllegalArgumentException(what + " longer than " + max + " characters");
        }
        return v;
    }
}
