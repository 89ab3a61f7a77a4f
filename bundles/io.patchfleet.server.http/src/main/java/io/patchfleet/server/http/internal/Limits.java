package io.patchfleet.server.http.internal;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The router's admission limits: a bound on requests served at once (a short wait, then 503, so
 * overload sheds load instead of queueing without end), and an optional per-address rate limit
 * (429) in one-second windows. Immutable settings; a configuration change builds a new one.
 */
final class Limits {
    private final Semaphore slots;
    private final long queueTimeoutMs;
    private final int perAddressPerSecond;
    private final Map<String, Window> windows = new ConcurrentHashMap<>();

    private static final class Window {
        volatile long second;
        final AtomicInteger count = new AtomicInteger();
    }

    Limits(int maxConcurrent, long queueTimeoutMs, int perAddressPerSecond) {
        this.slots = new Semaphore(maxConcurrent);
        this.queueTimeoutMs = queueTimeoutMs;
        this.perAddressPerSecond = perAddressPerSecond;
    }

    boolean acquire() {
        try {
            return slots.tryAcquire(queueTimeoutMs, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    void release() {
        slots.release();
    }

    boolean allow(String address) {
        if (perAddressPerSecond <= 0) {
            return true;
        }
        long second = System.nanoTime() / 1_000_000_000L;
        if (windows.size() > 100_000) {
            windows.clear(); // bounded memory under an address scan; limits restart for everyone
        }
        Window w = windows.computeIfAbsent(address == null ? "" : address, a -> new Window());
        if (w.second != second) {
            synchronized (w) {
                if (w.second != second) {
                    w.second = second;
                    w.count.set(0);
                }
            }
        }
        return w.count.incrementAndGet() <= perAddressPerSecond;
    }
}
