package io.patchfleet.store.jdbc.internal;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.Map;

/**
 * The prepared statements of one transaction, each prepared once and reused by every row of a
 * batch. {@link ReportWriter} writes dozens of reports per commit under load; preparing the same
 * three statements for each of them was a quarter of the writer's CPU (HSQLDB parses and compiles
 * on every {@code prepareStatement}; async-profiler, bench/checkin.sh, 2026-11-26). Closing this
 * closes them all; the connection stays open.
 */
final class Statements implements AutoCloseable {
    private final Connection connection;
    private final Map<String, PreparedStatement> prepared = new HashMap<>();

    Statements(Connection connection) {
        this.connection = connection;
    }

    Connection connection() {
        return connection;
    }

    /** The statement for {@code sql}, prepared on first use. Callers must not close it. */
    PreparedStatement get(String sql) throws SQLException {
        PreparedStatement ps = prepared.get(sql);
        if (ps == null) {
            ps = connection.prepareStatement(sql);
            prepared.put(sql, ps);
        }
        return ps;
    }

    /** As {@link #get(String)}, returning generated keys. */
    PreparedStatement withKeys(String sql) throws SQLException {
        String key = "\u0000keys\u0000" + sql;
        PreparedStatement ps = prepared.get(key);
        if (ps == null) {
            ps = connection.prepareStatement(sql, java.sql.Statement.RETURN_GENERATED_KEYS);
            prepared.put(key, ps);
        }
        return ps;
    }

    /** Runs an update with {@code args} bound; returns the row count. */
    int update(String sql, Object... args) throws SQLException {
        return Sql.bind(get(sql), args).executeUpdate();
    }

    @Override
    public void close() throws SQLException {
        SQLException first = null;
        for (PreparedStatement ps : prepared.values()) {
            try {
                ps.close();
            } catch (SQLException e) {
                if (first == null) {
                    first = e;
                }
            }
        }
        prepared.clear();
        if (first != null) {
            throw first;
        }
    }
}
