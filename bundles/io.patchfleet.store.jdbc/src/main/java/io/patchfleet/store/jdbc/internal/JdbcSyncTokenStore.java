package io.patchfleet.store.jdbc.internal;

import io.patchfleet.model.TierName;
import io.patchfleet.store.api.IssuedSyncToken;
import io.patchfleet.store.api.StoreException;
import io.patchfleet.store.api.SyncToken;
import io.patchfleet.store.api.SyncTokenStore;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * {@link SyncTokenStore} over JDBC (table {@code sync_tokens}, migration V3). A new table of its
 * own, so that sync credentials share nothing with machine credentials or enrollment tokens.
 */
@Component(service = SyncTokenStore.class)
public final class JdbcSyncTokenStore implements SyncTokenStore {
    private static final String COLUMNS = "token_id, token_name, tier_name, created_by, created_at, expires_at, revoked, last_used_at";
    /** A use is recorded at most this often per token: a sync makes many requests. */
    private static final Duration USE_RESOLUTION = Duration.ofMinutes(1);

    private final Database db;

    @Activate
    public JdbcSyncTokenStore(@Reference Database db) {
        this.db = db;
    }

    @Override
    public IssuedSyncToken create(String name, TierName tier, Instant expiresAt, String createdBy) throws StoreException {
        SyncToken.checkName(name);
        Objects.requireNonNull(tier, "tier");
        Objects.requireNonNull(expiresAt, "expiresAt");
        if (createdBy == null || createdBy.isEmpty() || createdBy.length() > 128) {
            throw new IllegalArgumentException("createdBy must have 1..128 characters");
        }
        Instant now = Sql.micros(db.clock().instant());
        if (!expiresAt.isAfter(now)) {
            throw new IllegalArgumentException("sync token expiry must be in the future: " + expiresAt);
        }
        String id = Secrets.newId();
        SyncToken token = new SyncToken(id, name, tier, createdBy, now, Sql.micros(expiresAt), false, null);
        String secret = Secrets.newSecret();
        db.inTransaction(c -> {
            Tiers.position(c, tier);
            if (Sql.queryLong(c, "SELECT COUNT(*) FROM sync_tokens WHERE token_name = ? AND revoked = FALSE AND expires_at > ?",
                    name, now) > 0) {
                throw new StoreException(StoreException.Reason.CONFLICT, "a usable sync token named " + name
                        + " exists; revoke it first or choose another name");
            }
            return Sql.update(c, "INSERT INTO sync_tokens (token_id, secret_hash, token_name, tier_name, created_by, created_at,"
                    + " expires_at, revoked, last_used_at) VALUES (?, ?, ?, ?, ?, ?, ?, FALSE, NULL)",
                    id, Secrets.hash(secret), name, tier.value(), createdBy, now, token.expiresAt());
        });
        return new IssuedSyncToken(token, secret);
    }

    @Override
    public List<SyncToken> tokens() throws StoreException {
        return db.inTransaction(c -> query(c, "SELECT " + COLUMNS + " FROM sync_tokens ORDER BY created_at DESC, token_id"));
    }

    @Override
    public Optional<SyncToken> find(String id) throws StoreException {
        Objects.requireNonNull(id, "id");
        return db.inTransaction(c -> query(c, "SELECT " + COLUMNS + " FROM sync_tokens WHERE token_id = ?", id).stream().findFirst());
    }

    @Override
    public boolean revoke(String id) throws StoreException {
        Objects.requireNonNull(id, "id");
        return db.inTransaction(c -> {
            if (query(c, "SELECT " + COLUMNS + " FROM sync_tokens WHERE token_id = ?", id).isEmpty()) {
                throw new StoreException(StoreException.Reason.NOT_FOUND, "no sync token " + id);
            }
            return Sql.update(c, "UPDATE sync_tokens SET revoked = TRUE WHERE token_id = ? AND revoked = FALSE", id) == 1;
        });
    }

    @Override
    public Optional<SyncToken> authenticate(String secret) throws StoreException {
        Objects.requireNonNull(secret, "secret");
        String hash = Secrets.hash(secret);
        return db.inTransaction(c -> {
            Instant now = Sql.micros(db.clock().instant());
            Optional<SyncToken> token = query(c, "SELECT " + COLUMNS + " FROM sync_tokens WHERE secret_hash = ?", hash)
                    .stream().findFirst().filter(t -> t.usableAt(now));
            if (token.isPresent() && (token.get().lastUsedAt() == null
                    || token.get().lastUsedAt().plus(USE_RESOLUTION).isBefore(now))) {
                Sql.update(c, "UPDATE sync_tokens SET last_used_at = ? WHERE token_id = ?", now, token.get().id());
            }
            return token;
        });
    }

    private static List<SyncToken> query(Connection c, String sql, Object... args) throws SQLException {
        List<SyncToken> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            try (ResultSet rs = Sql.bind(ps, args).executeQuery()) {
                while (rs.next()) {
                    out.add(new SyncToken(rs.getString("token_id"), rs.getString("token_name"),
                            TierName.of(rs.getString("tier_name")), rs.getString("created_by"), Sql.instant(rs, "created_at"),
                            Sql.instant(rs, "expires_at"), rs.getBoolean("revoked"), Sql.instant(rs, "last_used_at")));
                }
            }
        }
        return out;
    }
}
