package io.patchfleet.server.admin.internal;

import io.patchfleet.store.api.StoreException;
import io.patchfleet.store.api.User;
import io.patchfleet.store.api.UserStore;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;

/** A {@link UserStore} in memory with the JDBC store's lockout rules, for unit tests. */
final class MemoryUserStore implements UserStore {
    private final TreeMap<String, User> users = new TreeMap<>();
    private final Clock clock;

    MemoryUserStore(Clock clock) {
        this.clock = clock;
    }

    @Override
    public synchronized User create(String name, String role, String passwordHash) throws StoreException {
        Instant now = clock.instant();
        User u = new User(name, role, passwordHash, now, now, 0, Optional.empty(), Optional.empty(), Optional.empty());
        if (users.containsKey(name)) {
            throw new StoreException(StoreException.Reason.CONFLICT, "user " + name + " exists");
        }
        users.put(name, u);
        return u;
    }

    @Override
    public synchronized Optional<User> find(String name) {
        return Optional.ofNullable(users.get(name));
    }

    @Override
    public synchronized List<User> list() {
        return List.copyOf(users.values());
    }

    @Override
    public synchronized long count() {
        return users.size();
    }

    private User get(String name) throws StoreException {
        User u = users.get(name);
        if (u == null) {
            throw new StoreException(StoreException.Reason.NOT_FOUND, "no user " + name);
        }
        return u;
    }

    private User put(User u) {
        users.put(u.name(), u);
        return u;
    }

    @Override
    public synchronized User setPasswordHash(String name, String hash) throws StoreException {
        User u = get(name);
        return put(new User(name, u.role(), hash, u.createdAt(), clock.instant(), 0, Optional.empty(), Optional.empty(),
                u.lastLoginAt()));
    }

    @Override
    public synchronized User setRole(String name, String role) throws StoreException {
        User u = get(name);
        return put(new User(name, role, u.passwordHash(), u.createdAt(), u.passwordChangedAt(), u.failedLogins(),
                u.firstFailureAt(), u.lockedUntil(), u.lastLoginAt()));
    }

    @Override
    public synchronized User delete(String name) throws StoreException {
        return users.remove(get(name).name());
    }

    @Override
    public synchronized User recordFailedLogin(String name, int max, Duration window, Duration lockFor) throws StoreException {
        User u = get(name);
        Instant now = clock.instant();
        boolean fresh = u.firstFailureAt().isEmpty() || u.firstFailureAt().get().plus(window).isBefore(now);
        int failures = fresh ? 1 : u.failedLogins() + 1;
        if (failures >= max) {
            return put(new User(name, u.role(), u.passwordHash(), u.createdAt(), u.passwordChangedAt(), 0,
                    Optional.empty(), Optional.of(now.plus(lockFor)), u.lastLoginAt()));
        }
        return put(new User(name, u.role(), u.passwordHash(), u.createdAt(), u.passwordChangedAt(), failures,
                Optional.of(fresh ? now : u.firstFailureAt().get()), u.lockedUntil(), u.lastLoginAt()));
    }

    @Override
    public synchronized User recordLogin(String name) throws StoreException {
        User u = get(name);
        return put(new User(name, u.role(), u.passwordHash(), u.createdAt(), u.passwordChangedAt(), 0, Optional.empty(),
                u.lockedUntil(), Optional.of(clock.instant())));
    }

    @Override
    public synchronized User lockUntil(String name, Optional<Instant> until) throws StoreException {
        User u = get(name);
        return put(new User(name, u.role(), u.passwordHash(), u.createdAt(), u.passwordChangedAt(), 0, Optional.empty(),
                until, u.lastLoginAt()));
    }
}
