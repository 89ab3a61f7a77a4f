package io.patchfleet.store.jdbc.internal;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * A tiny bounded connection pool: at most {@code size} connections exist, a borrower waits at
 * most {@code acquireTimeout} for one, idle connections are reused most-recently-used first, and
 * a connection that failed is closed instead of returned.
 *
 * <p>Why our own and not HSQLDB's {@code JDBCPool}: it would tie the provider to HSQLDB classes
 * where PostgreSQL must reuse the same code, it has no bounded wait (it fails or grows), and 60
 * lines here are easier to reason about under {@code kill -9} and shutdown than a general pool.
 * Thread-safe.
 */
final class ConnectionPool implements AutoCloseable {

    /** Opens a new physical connection. */
    @FunctionalInterface
    interface Opener {
        Connection open() throws SQLException;
    }

    private final Opener opener;
    private final Semaphore permits;
    private final Duration acquireTimeout;
    private final Deque<Connection> idle = new ArrayDeque<>();
    private boolean closed;

    ConnectionPool(Opener opener, int size, Duration acquireTimeout) {
        if (size < 1) {
            throw new IllegalArgumentException("pool size must be at least 1: " + size);
        }
        this.opener = opener;
        this.permits = new Semaphore(size, true);
        this.acquireTimeout = acquireTimeout;
    }

    /** A connection in auto-commit mode off; give it back with {@link #release}. */
    Connection borrow() throws SQLException {
        try {
            if (!permits.tryAcquire(acquireTimeout.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new SQLTransientConnectionException("no database connection free within " + acquireTimeout, "08001");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SQLTransientConnectionException("interrupted waiting for a database connection", "08001", e);
        }
        try {
            Connection c;
            synchronized (this) {
                if (closed) {
                    throw new SQLTransientConnectionException("the database is closed", "08003");
                }
                c = idle.pollFirst();
            }
            if (c == null) {
                c = opener.open();
            }
            c.setAutoCommit(false);
            return c;
        } catch (SQLException | RuntimeException e) {
            permits.release();
            throw e;
        }
    }

    /** Returns a connection; {@code broken} ones (or any after {@link #close}) are closed. */
    void release(Connection c, boolean broken) {
        try {
            boolean keep;
            synchronized (this) {
                keep = !broken && !closed;
                if (keep) {
                    idle.addFirst(c);
                }
            }
            if (!keep) {
                closeQuietly(c);
            }
        } finally {
            permits.release();
        }
    }

    /** Closes idle connections; borrowed ones close when released. */
    @Override
    public void close() {
        Deque<Connection> toClose;
        synchronized (this) {
            closed = true;
            toClose = new ArrayDeque<>(idle);
            idle.clear();
        }
        toClose.forEach(ConnectionPool::closeQuietly);
    }

    private static void closeQuietly(Connection c) {
        try {
            c.close();
        } catch (SQLException ignored) {
            // already unusable
        }
    }
}
