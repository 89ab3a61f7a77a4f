package io.patchfleet.store.jdbc.internal;

import io.patchfleet.store.api.StoreException;
import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.IntFunction;

/**
 * Versioned schema migrations: scripts {@code db/migration/V1__init.sql}, {@code V2__….sql}, …
 * numbered without gaps, applied in order, each with its {@code schema_version} row in one
 * transaction. Starting again applies nothing. A database whose version is newer than the last
 * script is refused (an older server must not write a newer schema).
 *
 * <p>PostgreSQL runs DDL inside the transaction, so a migration is all or nothing there. HSQLDB
 * commits each DDL statement; a crash in the middle of a script leaves the statements before it
 * applied and no version row, and the next start fails on the first duplicate object with a
 * message naming the script. Migrations run once per database lifetime, at start, before any
 * write, so that window is small; restoring the backup taken before an upgrade recovers it.
 */
final class Migrations {
    /** Finds script {@code V<n>__*.sql}; {@code null} when there is none. */
    interface Scripts extends IntFunction<Script> {}

    record Script(int version, String name, String text) {}

    private Migrations() {}

    /** The scripts packaged in this bundle, by the names in {@link #SCRIPTS} (a bundle cannot list a folder portably). */
    static Scripts packaged(List<String> names) {
        return version -> {
            for (String name : names) {
                if (name.startsWith("V" + version + "__")) {
                    URL url = Migrations.class.getClassLoader().getResource("db/migration/" + name);
                    if (url == null) {
                        throw new IllegalStateException("migration script missing from the bundle: " + name);
                    }
                    try (InputStream in = url.openStream()) {
                        return new Script(version, name, new String(in.readAllBytes(), StandardCharsets.UTF_8));
                    } catch (IOException e) {
                        throw new IllegalStateException("cannot read migration " + name, e);
                    }
                }
            }
            return null;
        };
    }

    /** The migration scripts of this code, in order. Add new ones at the end. */
    static final List<String> SCRIPTS = List.of("V1__init.sql", "V2__users.sql", "V3__previous_credential.sql",
            "V4__sync_tokens.sql", "V5__rollouts.sql", "V6__machine_decision.sql",
            "V7__fewer_machine_indexes.sql", "V8__upstream_withdrawals_and_reports.sql");

    /**
     * Brings the schema to the newest version.
     *
     * @return the schema version now
     * @throws StoreException CONFLICT if the database is newer than the code
     */
    static int migrate(Connection c, Scripts scripts, Instant now) throws SQLException, StoreException {
        c.setAutoCommit(true);
        if (!tableExists(c, "schema_version")) {
            try (Statement s = c.createStatement()) {
                s.execute("CREATE TABLE schema_version (version INTEGER NOT NULL PRIMARY KEY, "
                        + "script VARCHAR(255) NOT NULL, applied_at TIMESTAMP(6) WITH TIME ZONE NOT NULL)");
            }
        }
        int latest = 0;
        while (scripts.apply(latest + 1) != null) {
            latest++;
        }
        int current = current(c);
        if (current > latest) {
            throw new StoreException(StoreException.Reason.CONFLICT, "the database schema is version " + current
                    + " but this Patchfleet knows versions up to " + latest
                    + ": it was written by a newer Patchfleet; run that version or restore a backup");
        }
        c.setAutoCommit(false);
        for (int v = current + 1; v <= latest; v++) {
            Script script = scripts.apply(v);
            try (Statement s = c.createStatement()) {
                for (String statement : statements(script.text())) {
                    s.execute(statement);
                }
                try (PreparedStatement ps = c.prepareStatement(
                        "INSERT INTO schema_version (version, script, applied_at) VALUES (?, ?, ?)")) {
                    Sql.bind(ps, v, script.name(), now).executeUpdate();
                }
                c.commit();
            } catch (SQLException e) {
                c.rollback();
                throw new SQLException("schema migration " + script.name() + " failed: " + e.getMessage(),
                        e.getSQLState(), e);
            }
        }
        c.commit();
        return latest;
    }

    static int current(Connection c) throws SQLException {
        try (Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT MAX(version) FROM schema_version")) {
            rs.next();
            return rs.getInt(1);
        }
    }

    private static boolean tableExists(Connection c, String name) throws SQLException {
        DatabaseMetaData md = c.getMetaData();
        // Unquoted names are stored upper case by HSQLDB and lower case by PostgreSQL.
        for (String candidate : List.of(name.toUpperCase(Locale.ROOT), name.toLowerCase(Locale.ROOT))) {
            try (ResultSet rs = md.getTables(null, null, candidate, new String[] {"TABLE"})) {
                if (rs.next()) {
                    return true;
                }
            }
        }
        return false;
    }

    /** Splits a script at semicolons that end a line; drops {@code --} comment lines. */
    static List<String> statements(String script) {
        List<String> out = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        for (String line : script.split("\n")) {
            String trimmed = line.strip();
            if (trimmed.isEmpty() || trimmed.startsWith("--")) {
                continue;
            }
            if (trimmed.endsWith(";")) {
                current.append(trimmed, 0, trimmed.length() - 1);
                out.add(current.toString().strip());
                current.setLength(0);
            } else {
                current.append(trimmed).append(' ');
            }
        }
        if (!current.toString().isBlank()) {
            out.add(current.toString().strip());
        }
        return out;
    }
}
