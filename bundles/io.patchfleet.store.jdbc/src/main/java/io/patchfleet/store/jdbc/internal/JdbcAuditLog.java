package io.patchfleet.store.jdbc.internal;

import io.patchfleet.store.api.AuditEntry;
import io.patchfleet.store.api.AuditLog;
import io.patchfleet.store.api.StoreException;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/** {@link AuditLog} over JDBC: an append-only table. */
@Component(service = AuditLog.class)
public final class JdbcAuditLog implements AuditLog {
    private final Database db;

    @Activate
    public JdbcAuditLog(@Reference Database db) {
        this.db = db;
    }

    @Override
    public AuditEntry append(String actor, String action, String target, String before, String after)
            throws StoreException {
        Instant now = Sql.micros(db.clock().instant());
        new AuditEntry(1, now, actor, action, target, before, after); // validates before writing
        long id = db.inTransaction(c -> {
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO audit_log (created_at, actor, audit_action, target, "
                    + "state_before, state_after) VALUES (?, ?, ?, ?, ?, ?)", Statement.RETURN_GENERATED_KEYS)) {
                Sql.bind(ps, now, actor, action, target, before, after).executeUpdate();
                try (ResultSet keys = ps.getGeneratedKeys()) {
                    keys.next();
                    return keys.getLong(1);
                }
            }
        });
        return new AuditEntry(id, now, actor, action, target, before, after);
    }

    @Override
    public List<AuditEntry> entries(long afterId, int limit) throws StoreException {
        if (limit < 1 || limit > 1000) {
            throw new IllegalArgumentException("limit must be in 1..1000: " + limit);
        }
        return db.inTransaction(c -> {
            List<AuditEntry> out = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement("SELECT entry_id, created_at, actor, audit_action, target, "
                    + "state_before, state_after FROM audit_log WHERE entry_id > ? ORDER BY entry_id FETCH FIRST ? ROWS ONLY")) {
                try (ResultSet rs = Sql.bind(ps, afterId, limit).executeQuery()) {
                    while (rs.next()) {
                        out.add(new AuditEntry(rs.getLong(1), Sql.instant(rs, "created_at"), rs.getString(3),
                                rs.getString(4), rs.getString(5), rs.getString(6), rs.getString(7)));
                    }
                }
            }
            return out;
        });
    }
}
