package io.patchfleet.store.jdbc.internal;

import io.patchfleet.model.KernelId;
import io.patchfleet.model.TierName;
import io.patchfleet.store.api.RolloutRecord;
import io.patchfleet.store.api.RolloutStore;
import io.patchfleet.store.api.StoreException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * {@link RolloutStore} over JDBC: one row per (kernel, version, tier) in the {@code rollouts}
 * table of migration V3. Upserts are "look, then insert or update"; a duplicate-key race on the
 * insert is retried by {@link Database#inTransaction}, and the retry then finds the row.
 */
@Component(service = RolloutStore.class)
public final class JdbcRolloutStore implements RolloutStore {
    private static final String COLUMNS = "kernel_release, kernel_arch, kernel_flavour, kernel_build, patch_version, "
            + "tier_name, rollout_state, available_since, started_at, approved_at, advanced_steps, rollout_cause, "
            + "revert_on_halt, updated_at";
    private static final String KEY = "kernel_release = ? AND kernel_arch = ? AND kernel_flavour = ? AND kernel_build = ? "
            + "AND patch_version = ? AND tier_name = ?";

    private final Database db;

    @Activate
    public JdbcRolloutStore(@Reference Database db) {
        this.db = db;
    }

    @Override
    public List<RolloutRecord> all() throws StoreException {
        return db.inTransaction(c -> {
            List<RolloutRecord> out = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement("SELECT " + COLUMNS + " FROM rollouts");
                    ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(read(rs));
                }
            }
            return out;
        });
    }

    @Override
    public RolloutRecord createIfAbsent(RolloutRecord record) throws StoreException {
        return db.inTransaction(c -> {
            Optional<RolloutRecord> existing = find(c, record);
            if (existing.isPresent()) {
                return existing.get();
            }
            insert(c, record);
            return record;
        });
    }

    @Override
    public void save(RolloutRecord r) throws StoreException {
        db.inTransaction(c -> {
            int n = Sql.update(c, "UPDATE rollouts SET rollout_state = ?, available_since = ?, started_at = ?, "
                    + "approved_at = ?, advanced_steps = ?, rollout_cause = ?, revert_on_halt = ?, updated_at = ? WHERE " + KEY,
                    r.state(), r.availableSince(), r.startedAt().orElse(null), r.approvedAt().orElse(null),
                    r.advancedSteps(), r.cause(), r.revert(), r.updatedAt(), r.kernel().release(), r.kernel().architecture(),
                    r.kernel().flavour(), r.kernel().build(), r.version(), r.tier().value());
            if (n == 0) {
                insert(c, r);
            }
            return null;
        });
    }

    private static Optional<RolloutRecord> find(Connection c, RolloutRecord key) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT " + COLUMNS + " FROM rollouts WHERE " + KEY)) {
            Sql.bind(ps, key.kernel().release(), key.kernel().architecture(), key.kernel().flavour(), key.kernel().build(),
                    key.version(), key.tier().value());
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(read(rs)) : Optional.empty();
            }
        }
    }

    private static void insert(Connection c, RolloutRecord r) throws SQLException {
        Sql.update(c, "INSERT INTO rollouts (" + COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                r.kernel().release(), r.kernel().architecture(), r.kernel().flavour(), r.kernel().build(), r.version(),
                r.tier().value(), r.state(), r.availableSince(), r.startedAt().orElse(null), r.approvedAt().orElse(null),
                r.advancedSteps(), r.cause(), r.revert(), r.updatedAt());
    }

    private static RolloutRecord read(ResultSet rs) throws SQLException {
        KernelId kernel = new KernelId(rs.getString("kernel_release"), rs.getString("kernel_arch"),
                rs.getString("kernel_flavour"), rs.getString("kernel_build"));
        return new RolloutRecord(kernel, rs.getLong("patch_version"), TierName.of(rs.getString("tier_name")),
                rs.getString("rollout_state"), Sql.instant(rs, "available_since"),
                Optional.ofNullable(Sql.instant(rs, "started_at")), Optional.ofNullable(Sql.instant(rs, "approved_at")),
                rs.getInt("advanced_steps"), rs.getString("rollout_cause"), rs.getBoolean("revert_on_halt"),
                Sql.instant(rs, "updated_at"));
    }
}
