package io.patchfleet.server.http.internal;

import java.util.concurrent.TimeUnit;

/**
 * Holds machine and sync requests while runtime management swaps a bundle, so that no request is
 * answered by a half-swapped chain and none fails because a service was briefly gone.
 *
 * <p>Runtime management ({@code io.patchfleet.platform.admin}) registers a marker service with
 * the property {@code patchfleet.swap} for the length of every change, rollback included. When
 * it appears, the gate closes: new requests wait at the gate, and the swap starts only after the
 * requests already inside have finished (bounded), so none is mid-way through an old component
 * while it is deactivated. When the marker goes — the new bundle and every component it affected
 * are up again, or the old ones are back — the gate opens and the held requests go on.
 *
 * <p>A request waits at most the configured hold time, then gets 503 with {@code Retry-After}:
 * a swap that hangs never hangs the fleet's check-ins with it. Admin routes and probes never wait
 * (the admin request that asked for the swap is itself in flight).
 */
final class SwapGate {
    private final Object lock = new Object();
    private int swaps;
    private int inside;

    /** Waits while a swap runs; false when {@code maxWaitMs} passed first. On true, call {@link #leave}. */
    boolean enter(long maxWaitMs) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(maxWaitMs);
        synchronized (lock) {
            while (swaps > 0) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                TimeUnit.NANOSECONDS.timedWait(lock, left);
            }
            inside++;
            return true;
        }
    }

    void leave() {
        synchronized (lock) {
            inside--;
            lock.notifyAll();
        }
    }

    /** Closes the gate and waits (bounded) for the requests inside to finish. */
    void close(long drainMs) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(drainMs);
        synchronized (lock) {
            swaps++;
            while (inside > 0) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return;
                }
                try {
                    TimeUnit.NANOSECONDS.timedWait(lock, left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    void open() {
        synchronized (lock) {
            if (swaps > 0) {
                swaps--;
            }
            lock.notifyAll();
        }
    }

    boolean closed() {
        synchronized (lock) {
            return swaps > 0;
        }
    }
}
