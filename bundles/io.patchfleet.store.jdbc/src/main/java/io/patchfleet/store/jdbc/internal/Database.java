package io.patchfleet.store.jdbc.internal;

import io.patchfleet.store.api.StoreException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.ThreadLocalRandom;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.AttributeType;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The database: a bounded connection pool, the schema migrated at start, and
 * {@link #inTransaction} for every store operation. The store components of this bundle share
 * one instance.
 *
 * <p><b>HSQLDB settings</b> (the default, {@code jdbc:hsqldb:file:DATA/db/patchfleet}):
 * <ul>
 * <li>{@code SET FILES WRITE DELAY FALSE}: every commit is written and fsync'ed to the
 * {@code .log} file before {@code commit()} returns. With HSQLDB's default 500 ms delay, a
 * {@code kill -9} or power loss drops the last half second of acknowledged writes; the
 * contract of the store API (durable on return) forbids that. The cost is one fsync per commit.
 * <li>{@code SET DATABASE TRANSACTION CONTROL MVCC}: row-level concurrency, so check-ins of
 * different machines do not wait for each other (the default, LOCKS, locks whole tables).
 * <li>{@code SET DATABASE DEFAULT TABLE TYPE CACHED}: tables live on disk with a bounded cache
 * (the default MEMORY tables hold everything in the heap: no good for a million machines). The
 * migration scripts stay plain {@code CREATE TABLE}.
 * <li>{@code SHUTDOWN} at deactivation checkpoints the log into the data file, so the next start
 * does not replay it. Without it (a crash) the next start replays the log: slower, nothing lost.
 * </ul>
 * These are HSQLDB administration statements issued here only; the queries of the stores are
 * standard SQL that PostgreSQL runs unchanged.
 *
 * <p><b>Transactions</b> run at READ COMMITTED. Serialization failures and deadlocks (SQLSTATE
 * class 40) and unique-key races of "select, then insert" (23505) are retried a few times with
 * a short random back-off: the portable upsert is "look, insert if absent, and on a duplicate
 * key run the transaction again, which then finds the row".
 */
@Component(service = Database.class, immediate = true, configurationPid = Database.PID,
        configurationPolicy = ConfigurationPolicy.OPTIONAL)
@Designate(ocd = Database.Config.class)
public final class Database implements AutoCloseable {
    static final String PID = "io.patchfleet.store.jdbc";
    static final String DATA_PROPERTY = "patchfleet.data";
    private static final Logger LOG = LoggerFactory.getLogger(Database.class);
    private static final int MAX_ATTEMPTS = 8;

    @ObjectClassDefinition(name = "Patchfleet database",
            description = "Where the server keeps tiers, patches, machines, reports, tokens and the audit log")
    public @interface Config {
        @AttributeDefinition(name = "JDBC URL", description = "Empty: embedded HSQLDB in DATA/db/patchfleet. "
                + "Only jdbc:hsqldb: URLs are supported by this provider yet.")
        String url() default "";

        @AttributeDefinition(name = "User")
        String user() default "SA";

        @AttributeDefinition(name = "Password", type = AttributeType.PASSWORD)
        String password() default "";

        @AttributeDefinition(name = "Pool size", description = "Most open connections", min = "1", max = "256")
        int pool_size() default 8;

        @AttributeDefinition(name = "Connection wait (ms)",
                description = "How long an operation waits for a free connection before failing as unavailable", min = "1")
        long acquire_timeout_ms() default 5000;

        @AttributeDefinition(name = "Last-seen fold interval (s)", description = "How often the journal of steady-state "
                + "check-ins is folded into the machines table (one row update per machine per interval)", min = "1")
        long seen_fold_interval_seconds() default 900;

        @AttributeDefinition(name = "Last-seen journal segment (MB)",
                description = "A journal segment this large is folded before its interval ends", min = "1")
        long seen_segment_mb() default 256;

        @AttributeDefinition(name = "Last-seen sync interval (ms)", description = "How often the journal of steady-state "
                + "check-ins is forced to disk. A crash of the server loses none of them either way (they are in the "
                + "page cache once answered); a power loss loses at most this interval's last-seen times. 0: every "
                + "check-in is answered only after the sync that holds it (slower)", min = "0", max = "10000")
        long seen_sync_ms() default 100;
    }

    /** Everything a database needs, independent of OSGi (tests build it by hand). */
    public record Settings(String url, String user, String password, int poolSize, Duration acquireTimeout,
            Duration seenFoldInterval, long seenSegmentBytes, Duration seenSyncInterval) {
        public Settings {
            Objects.requireNonNull(seenSyncInterval, "seenSyncInterval");
            Objects.requireNonNull(seenFoldInterval, "seenFoldInterval");
            Objects.requireNonNull(url, "url");
            Objects.requireNonNull(user, "user");
            Objects.requireNonNull(password, "password");
            Objects.requireNonNull(acquireTimeout, "acquireTimeout");
            if (!url.startsWith("jdbc:hsqldb:")) {
                throw new IllegalArgumentException("unsupported JDBC URL \"" + url
                        + "\": this provider runs HSQLDB (jdbc:hsqldb:...); PostgreSQL needs its own provider");
            }
        }

        public Settings(String url, String user, String password, int poolSize, Duration acquireTimeout,
                Duration seenFoldInterval, long seenSegmentBytes) {
            this(url, user, password, poolSize, acquireTimeout, seenFoldInterval, seenSegmentBytes, Duration.ofMillis(100));
        }

        public Settings(String url, String user, String password, int poolSize, Duration acquireTimeout) {
            this(url, user, password, poolSize, acquireTimeout, Duration.ofMinutes(15), 256L << 20);
        }

        /** The embedded default: {@code dataDir/db/patchfleet}. */
        public static Settings embedded(Path dataDir) {
            return new Settings("jdbc:hsqldb:file:" + dataDir.toAbsolutePath().resolve("db").resolve("patchfleet"),
                    "SA", "", 8, Duration.ofSeconds(5));
        }

        /**
         * Where the last-seen journal of a file database lives ({@code <database>.seen/} beside
         * its files); null for an in-memory database.
         */
        Path journalDir() {
            String rest = url.substring("jdbc:hsqldb:".length());
            int semicolon = rest.indexOf(';');
            if (semicolon >= 0) {
                rest = rest.substring(0, semicolon);
            }
            if (!rest.startsWith("file:")) {
                return null;
            }
            return Path.of(rest.substring("file:".length()) + ".seen");
        }
    }

    private final ConnectionPool pool;
    private final StoreCaches caches = new StoreCaches();
    private final FleetIndex fleet = new FleetIndex();
    private final SeenJournal seen;
    private final DecisionWriter decisions;
    private final Clock clock;
    private final String url;
    private final Properties props = new Properties();

    @Activate
    public Database(BundleContext context, Config config) throws StoreException {
        this(settings(context, config), Clock.systemUTC());
    }

    /** Opens the database and migrates its schema; close it with {@link #close}. */
    public Database(Settings settings, Clock clock) throws StoreException {
        this.clock = Objects.requireNonNull(clock, "clock");
        this.url = settings.url();
        props.setProperty("user", settings.user());
        props.setProperty("password", settings.password());
        // Creation-time defaults for a new database; the SET statements below fix older ones.
        props.setProperty("hsqldb.write_delay", "false");
        props.setProperty("hsqldb.tx", "mvcc");
        props.setProperty("hsqldb.default_table_type", "cached");
        props.setProperty("shutdown", "false");
        this.pool = new ConnectionPool(() -> org.hsqldb.jdbc.JDBCDriver.getConnection(url, props),
                settings.poolSize(), settings.acquireTimeout());
        try {
            Connection c = firstConnection();
            boolean broken = true;
            try {
                c.setAutoCommit(true);
                try (Statement s = c.createStatement()) {
                    s.execute("SET FILES WRITE DELAY FALSE");
                    s.execute("SET DATABASE DEFAULT TABLE TYPE CACHED");
                    s.execute("SET DATABASE TRANSACTION CONTROL MVCC");
                }
                int version = Migrations.migrate(c, Migrations.packaged(Migrations.SCRIPTS), clock.instant());
                c.setAutoCommit(false);
                broken = false;
                LOG.info("Database {} open at schema version {}", url, version);
            } finally {
                pool.release(c, broken);
            }
        } catch (SQLException e) {
            shutdownQuietly();
            throw new StoreException(StoreException.Reason.UNAVAILABLE, "cannot open database " + url + ": " + e.getMessage(), e);
        } catch (StoreException | RuntimeException e) {
            shutdownQuietly();
            throw e;
        }
        try {
            this.seen = new SeenJournal(settings.journalDir(), this::fold, settings.seenFoldInterval(), settings.seenSegmentBytes(),
                    settings.seenSyncInterval());
        } catch (StoreException | RuntimeException e) {
            shutdownQuietly();
            throw e;
        }
        fleet.startLoading(this, ms -> { });
        this.decisions = new DecisionWriter(this);
    }

    /** One batch of journaled check-ins into the machines table; {@code last_seen} never moves back. */
    private void fold(java.util.List<java.util.Map.Entry<String, SeenJournal.Seen>> batch) throws StoreException {
        inTransaction(c -> {
            try (java.sql.PreparedStatement ps = c.prepareStatement("UPDATE machines SET last_seen = ?, uptime_ms = ? "
                    + "WHERE machine_id = ? AND (last_seen IS NULL OR last_seen < ?)")) {
                for (java.util.Map.Entry<String, SeenJournal.Seen> e : batch) {
                    Instant at = e.getValue().at();
                    Sql.bind(ps, at, e.getValue().uptimeMs(), e.getKey(), at).addBatch();
                }
                ps.executeBatch();
            }
            return null;
        });
    }

    /**
     * The first connection opens the database files. After a {@code kill -9} HSQLDB's lock file
     * still carries the dead process's heartbeat, and HSQLDB refuses the lock until that
     * heartbeat is ten seconds old; a server restarted at once by its supervisor must wait for
     * that, not fail. Other failures are not retried.
     */
    private Connection firstConnection() throws SQLException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        boolean logged = false;
        while (true) {
            try {
                return pool.borrow();
            } catch (SQLException e) {
                boolean lock = String.valueOf(e.getMessage()).contains("lock acquisition failure");
                if (!lock || System.nanoTime() > deadline) {
                    throw e;
                }
                if (!logged) {
                    LOG.warn("Database {} is locked by a process that stopped less than 10 s ago (a crash?); waiting for its lock "
                            + "to expire", url);
                    logged = true;
                }
                try {
                    Thread.sleep(500);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
            }
        }
    }

    private static Settings settings(BundleContext context, Config config) {
        String url = config.url();
        if (url.isBlank()) {
            String data = context.getProperty(DATA_PROPERTY);
            if (data == null || data.isBlank()) {
                throw new IllegalStateException("framework property " + DATA_PROPERTY
                        + " is not set and no JDBC URL is configured in " + PID + "; start the server with 'patchfleet server'");
            }
            url = Settings.embedded(Path.of(data)).url();
        }
        return new Settings(url, config.user(), config.password(), config.pool_size(),
                Duration.ofMillis(config.acquire_timeout_ms()), Duration.ofSeconds(config.seen_fold_interval_seconds()),
                config.seen_segment_mb() << 20, Duration.ofMillis(config.seen_sync_ms()));
    }

    /** The store's clock: receive times, token expiry, audit times. */
    public Clock clock() {
        return clock;
    }

    /**
     * Runs {@code work} as one transaction and commits it; retries serialization failures and
     * duplicate-key races; maps other SQL failures to {@link StoreException}.
     */
    public <T> T inTransaction(SqlWork<T> work) throws StoreException {
        for (int attempt = 1;; attempt++) {
            Connection c;
            try {
                c = pool.borrow();
            } catch (SQLException e) {
                throw new StoreException(StoreException.Reason.UNAVAILABLE, e.getMessage(), e);
            }
            boolean broken = false;
            try {
                T result = work.run(c);
                c.commit();
                return result;
            } catch (SQLException e) {
                broken = !rollback(c) || isConnectionFailure(e);
                if (attempt < MAX_ATTEMPTS && isRetryable(e)) {
                    backOff(attempt);
                    continue;
                }
                throw translate(e);
            } catch (StoreException | RuntimeException | Error e) {
                broken = !rollback(c);
                throw e;
            } finally {
                pool.release(c, broken);
            }
        }
    }

    /** The read caches of the stores that share this database. */
    StoreCaches caches() {
        return caches;
    }

    /** Every enrolled machine in memory (the check-in path's reads). */
    FleetIndex fleet() {
        return fleet;
    }

    /** Machines' last rollout decisions, written in the background. */
    DecisionWriter decisions() {
        return decisions;
    }

    /** The durable last-seen journal of steady-state check-ins. */
    SeenJournal seen() {
        return seen;
    }

    /** {@link #inTransaction} for writes to releases, promotions or tiers: catalog caches drop after it. */
    public <T> T inCatalogWrite(SqlWork<T> work) throws StoreException {
        try {
            return inTransaction(work);
        } finally {
            caches.catalogChanged();
        }
    }

    static boolean isRetryable(SQLException e) {
        String state = e.getSQLState();
        return state != null && (state.startsWith("40") || state.equals("23505"));
    }

    private static boolean isConnectionFailure(SQLException e) {
        return e.getSQLState() != null && e.getSQLState().startsWith("08");
    }

    static StoreException translate(SQLException e) {
        String state = e.getSQLState() == null ? "" : e.getSQLState();
        if (state.startsWith("23")) {
            return new StoreException(StoreException.Reason.CONFLICT, "constraint violated: " + e.getMessage(), e);
        }
        return new StoreException(StoreException.Reason.UNAVAILABLE, "database failure (" + state + "): " + e.getMessage(), e);
    }

    private static boolean rollback(Connection c) {
        try {
            c.rollback();
            return true;
        } catch (SQLException e) {
            return false;
        }
    }

    private static void backOff(int attempt) {
        try {
            Thread.sleep(ThreadLocalRandom.current().nextLong(1, 1L + (2L << Math.min(attempt, 6))));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Closes the pool and shuts the database down cleanly ({@code SHUTDOWN}: checkpoint, release
     * the lock file). Operations still running fail as unavailable.
     */
    @Deactivate
    @Override
    public void close() {
        if (decisions != null) {
            decisions.close();
        }
        fleet.stopLoading();
        if (seen != null) {
            seen.close();
        }
        shutdownQuietly();
        LOG.info("Database {} shut down", url);
    }

    private void shutdownQuietly() {
        pool.close();
        Properties shutdown = new Properties();
        shutdown.putAll(props);
        // A fresh connection only to shut down: it must never create a database.
        shutdown.setProperty("ifexists", "true");
        try (Connection c = org.hsqldb.jdbc.JDBCDriver.getConnection(url, shutdown);
                Statement s = c.createStatement()) {
            s.execute("SHUTDOWN");
        } catch (SQLException e) {
            LOG.debug("Database {} shutdown: {}", url, e.getMessage());
        }
    }
}
