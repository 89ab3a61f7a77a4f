package io.patchfleet.store.jdbc.internal;

import io.patchfleet.model.Tier;
import io.patchfleet.model.TierName;
import io.patchfleet.store.api.StoreException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/** Tier lookups shared by the stores (inside their transactions). */
final class Tiers {
    private Tiers() {}

    static List<Tier> all(Connection c) throws SQLException {
        List<Tier> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT tier_name, tier_position FROM tiers ORDER BY tier_position");
                ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                out.add(new Tier(TierName.of(rs.getString(1)), rs.getInt(2)));
            }
        }
        return out;
    }

    /** The tier's position; -1 when it does not exist. */
    static int positionOrMinus(Connection c, TierName tier) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT tier_position FROM tiers WHERE tier_name = ?")) {
            ps.setString(1, tier.value());
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getInt(1) : -1;
            }
        }
    }

    static int position(Connection c, TierName tier) throws SQLException, StoreException {
        int p = positionOrMinus(c, tier);
        if (p < 0) {
            throw new StoreException(StoreException.Reason.NOT_FOUND, "no tier " + tier);
        }
        return p;
    }

    static TierName first(Connection c) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT tier_name FROM tiers ORDER BY tier_position FETCH FIRST 1 ROWS ONLY");
                ResultSet rs = ps.executeQuery()) {
            if (!rs.next()) {
                throw new SQLException("the tiers table is empty", "XX000");
            }
            return TierName.of(rs.getString(1));
        }
    }

    /** Serializes changes to the tier list: a row lock in HSQLDB MVCC and PostgreSQL alike. */
    static void lock(Connection c) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "UPDATE store_locks SET lock_counter = lock_counter + 1 WHERE lock_name = 'tiers'")) {
            ps.executeUpdate();
        }
    }
}
