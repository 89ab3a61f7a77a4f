package io.patchfleet.store.jdbc.internal;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;

/** JDBC value mapping shared by the stores: instants as TIMESTAMP WITH TIME ZONE (JDBC 4.2). */
final class Sql {
    private Sql() {}

    /**
     * Instants are stored with microsecond precision (what both HSQLDB and PostgreSQL keep), so
     * values are truncated before writing and what a caller gets back equals what was stored.
     */
    static Instant micros(Instant t) {
        return t.truncatedTo(ChronoUnit.MICROS);
    }

    static void setInstant(PreparedStatement ps, int index, Instant t) throws SQLException {
        ps.setObject(index, OffsetDateTime.ofInstant(micros(t), ZoneOffset.UTC));
    }

    /** @return {@code null} for SQL NULL */
    static Instant instant(ResultSet rs, String column) throws SQLException {
        OffsetDateTime t = rs.getObject(column, OffsetDateTime.class);
        return t == null ? null : t.toInstant();
    }

    /** Binds {@code values} to the statement's parameters from index 1. */
    static PreparedStatement bind(PreparedStatement ps, Object... values) throws SQLException {
        for (int i = 0; i < values.length; i++) {
            Object v = values[i];
            if (v instanceof Instant t) {
                setInstant(ps, i + 1, t);
            } else {
                ps.setObject(i + 1, v);
            }
        }
        return ps;
    }

    /** Runs an update with {@code args} bound; returns the row count. */
    static int update(java.sql.Connection c, String sql, Object... args) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            return bind(ps, args).executeUpdate();
        }
    }

    /** The first column of the first row of a query, as a long (COUNT(*) and the like). */
    static long queryLong(java.sql.Connection c, String sql, Object... args) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            try (ResultSet rs = bind(ps, args).executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }
}
