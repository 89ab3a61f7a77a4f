package io.patchfleet.store.jdbc.internal;

import io.patchfleet.store.api.StoreException;
import io.patchfleet.store.api.User;
import io.patchfleet.store.api.UserStore;
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
 * {@link UserStore} over JDBC. Every change first takes the {@code users} row of
 * {@code store_locks}, so "is this the last admin?" and the change happen as one serialized step.
 */
@Component(service = UserStore.class)
public final class JdbcUserStore implements UserStore {
    private static final String COLUMNS = "user_name, user_role, password_hash, created_at, password_changed_at, "
            + "failed_logins, first_failure_at, locked_until, last_login_at";

    private final Database db;

    @Activate
    public JdbcUserStore(@Reference Database db) {
        this.db = db;
    }

    @Override
    public User create(String name, String role, String passwordHash) throws StoreException {
        Instant now = Sql.micros(db.clock().instant());
        User user = new User(name, role, passwordHash, now, now, 0, Optional.empty(), Optional.empty(), Optional.empty());
        return db.inTransaction(c -> {
            lock(c);
            if (find(c, name).isPresent()) {
                throw new StoreException(StoreException.Reason.CONFLICT, "user " + name + " exists");
            }
            Sql.update(c, "INSERT INTO users (user_name, user_role, password_hash, created_at, password_changed_at, "
                    + "failed_logins) VALUES (?, ?, ?, ?, ?, 0)", name, role, passwordHash, now, now);
            return user;
        });
    }

    @Override
    public Optional<User> find(String name) throws StoreException {
        Objects.requireNonNull(name, "user name");
        return db.inTransaction(c -> find(c, name));
    }

    @Override
    public List<User> list() throws StoreException {
        return db.inTransaction(c -> users(c, "SELECT " + COLUMNS + " FROM users ORDER BY user_name"));
    }

    @Override
    public long count() throws StoreException {
        return db.inTransaction(c -> Sql.queryLong(c, "SELECT COUNT(*) FROM users"));
    }

    @Override
    public User setPasswordHash(String name, String passwordHash) throws StoreException {
        Objects.requireNonNull(passwordHash, "password hash");
        if (passwordHash.isEmpty() || passwordHash.length() > 256) {
            throw new IllegalArgumentException("password hash must have 1..256 characters");
        }
        return change(name, c -> Sql.update(c, "UPDATE users SET password_hash = ?, password_changed_at = ?, "
                + "failed_logins = 0, first_failure_at = NULL, locked_until = NULL WHERE user_name = ?",
                passwordHash, db.clock().instant(), name));
    }

    @Override
    public User setRole(String name, String role) throws StoreException {
        User.checkRole(role);
        return change(name, c -> {
            User current = find(c, name).orElseThrow();
            if (ADMIN_ROLE.equals(current.role()) && !ADMIN_ROLE.equals(role) && admins(c) <= 1) {
                throw lastAdmin(name);
            }
            Sql.update(c, "UPDATE users SET user_role = ? WHERE user_name = ?", role, name);
        });
    }

    @Override
    public User delete(String name) throws StoreException {
        Objects.requireNonNull(name, "user name");
        return db.inTransaction(c -> {
            lock(c);
            User current = find(c, name).orElseThrow(() -> notFound(name));
            if (ADMIN_ROLE.equals(current.role()) && admins(c) <= 1) {
                throw lastAdmin(name);
            }
            Sql.update(c, "DELETE FROM users WHERE user_name = ?", name);
            return current;
        });
    }

    @Override
    public User recordFailedLogin(String name, int maxFailures, Duration window, Duration lockFor) throws StoreException {
        if (maxFailures < 1 || window.isNegative() || window.isZero() || lockFor.isNegative() || lockFor.isZero()) {
            throw new IllegalArgumentException("maxFailures must be at least 1 and durations positive");
        }
        return change(name, c -> {
            Instant now = Sql.micros(db.clock().instant());
            User current = find(c, name).orElseThrow();
            boolean newWindow = current.firstFailureAt().isEmpty()
                    || current.firstFailureAt().get().plus(window).isBefore(now);
            int failures = newWindow ? 1 : current.failedLogins() + 1;
            Instant first = newWindow ? now : current.firstFailureAt().get();
            if (failures >= maxFailures) {
                Sql.update(c, "UPDATE users SET failed_logins = 0, first_failure_at = NULL, locked_until = ? "
                        + "WHERE user_name = ?", now.plus(lockFor), name);
            } else {
                Sql.update(c, "UPDATE users SET failed_logins = ?, first_failure_at = ? WHERE user_name = ?",
                        failures, first, name);
            }
        });
    }

    @Override
    public User recordLogin(String name) throws StoreException {
        return change(name, c -> Sql.update(c, "UPDATE users SET failed_logins = 0, first_failure_at = NULL, "
                + "last_login_at = ? WHERE user_name = ?", db.clock().instant(), name));
    }

    @Override
    public User lockUntil(String name, Optional<Instant> until) throws StoreException {
        Objects.requireNonNull(until, "until");
        return change(name, c -> {
            if (until.isPresent()) {
                Sql.update(c, "UPDATE users SET locked_until = ? WHERE user_name = ?", until.get(), name);
            } else {
                Sql.update(c, "UPDATE users SET locked_until = NULL, failed_logins = 0, first_failure_at = NULL "
                        + "WHERE user_name = ?", name);
            }
        });
    }

    private interface Change {
        void apply(Connection c) throws SQLException, StoreException;
    }

    /** Locks, checks the user exists, applies the change, and returns the user as stored after it. */
    private User change(String name, Change change) throws StoreException {
        Objects.requireNonNull(name, "user name");
        return db.inTransaction(c -> {
            lock(c);
            if (find(c, name).isEmpty()) {
                throw notFound(name);
            }
            change.apply(c);
            return find(c, name).orElseThrow();
        });
    }

    private static long admins(Connection c) throws SQLException {
        return Sql.queryLong(c, "SELECT COUNT(*) FROM users WHERE user_role = ?", ADMIN_ROLE);
    }

    private static StoreException notFound(String name) {
        return new StoreException(StoreException.Reason.NOT_FOUND, "no user " + name);
    }

    private static StoreException lastAdmin(String name) {
        return new StoreException(StoreException.Reason.CONFLICT, "user " + name
                + " is the last " + ADMIN_ROLE + "; make another user " + ADMIN_ROLE + " first");
    }

    private static void lock(Connection c) throws SQLException {
        Sql.update(c, "UPDATE store_locks SET lock_counter = lock_counter + 1 WHERE lock_name = 'users'");
    }

    private static Optional<User> find(Connection c, String name) throws SQLException {
        return users(c, "SELECT " + COLUMNS + " FROM users WHERE user_name = ?", name).stream().findFirst();
    }

    private static List<User> users(Connection c, String sql, Object... args) throws SQLException {
        List<User> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            try (ResultSet rs = Sql.bind(ps, args).executeQuery()) {
                while (rs.next()) {
                    out.add(new User(rs.getString("user_name"), rs.getString("user_role"), rs.getString("password_hash"),
                            Sql.instant(rs, "created_at"), Sql.instant(rs, "password_changed_at"),
                            rs.getInt("failed_logins"), Optional.ofNullable(Sql.instant(rs, "first_failure_at")),
                            Optional.ofNullable(Sql.instant(rs, "locked_until")),
                            Optional.ofNullable(Sql.instant(rs, "last_login_at"))));
                }
            }
        }
        return out;
    }
}
