package io.patchfleet.server.admin.internal;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Iterator;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Failed logins counted in memory per key (a client address, or a user name that does not
 * exist), with the same window-and-lock policy the store applies to real users. Bounded: at most
 * {@code capacity} keys; when full, expired entries go first, then arbitrary ones (an attacker
 * flooding keys loses their own counts, never blocks anyone else). Thread-safe.
 */
final class FailureCounter {
    private record Entry(int failures, Instant windowStart, Instant lockedUntil) {}

    private final Map<String, Entry> entries = new ConcurrentHashMap<>();
    private final Clock clock;
    private final int capacity;

    FailureCounter(Clock clock, int capacity) {
        this.clock = clock;
        this.capacity = capacity;
    }

    /** Until when {@code key} is locked; empty when it is not. */
    Optional<Instant> lockedUntil(String key) {
        Entry e = entries.get(key);
        Instant now = clock.instant();
        return e != null && e.lockedUntil() != null && now.isBefore(e.lockedUntil()) ? Optional.of(e.lockedUntil())
                : Optional.empty();
    }

    /** Counts a failure; returns the lock it caused, if any. */
    Optional<Instant> fail(String key, int maxFailures, Duration window, Duration lockFor) {
        Instant now = clock.instant();
        if (entries.size() >= capacity && !entries.containsKey(key)) {
            evict(now, window);
        }
        Entry e = entries.compute(key, (k, old) -> {
            boolean fresh = old == null || old.windowStart().plus(window).isBefore(now);
            int failures = fresh ? 1 : old.failures() + 1;
            Instant start = fresh ? now : old.windowStart();
            Instant locked = old == null ? null : old.lockedUntil();
            if (failures >= maxFailures) {
                return new Entry(0, now, now.plus(lockFor));
            }
            return new Entry(failures, start, locked);
        });
        return e.lockedUntil() != null && now.isBefore(e.lockedUntil()) ? Optional.of(e.lockedUntil()) : Optional.empty();
    }

    void reset(String key) {
        entries.remove(key);
    }

    private void evict(Instant now, Duration window) {
        entries.entrySet().removeIf(e -> e.getValue().windowStart().plus(window).isBefore(now)
                && (e.getValue().lockedUntil() == null || !now.isBefore(e.getValue().lockedUntil())));
        Iterator<String> it = entries.keySet().iterator();
        while (entries.size() >= capacity && it.hasNext()) {
            it.next();
            it.remove();
        }
    }
}
