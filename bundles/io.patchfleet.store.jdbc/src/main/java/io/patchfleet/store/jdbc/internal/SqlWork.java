package io.patchfleet.store.jdbc.internal;

import io.patchfleet.store.api.StoreException;
import java.sql.Connection;
import java.sql.SQLException;

/**
 * The body of one transaction. It may run more than once (after a serialization failure), so it
 * must have no effect outside the connection, and must not commit or roll back itself.
 */
@FunctionalInterface
interface SqlWork<T> {
    T run(Connection c) throws SQLException, StoreException;
}
