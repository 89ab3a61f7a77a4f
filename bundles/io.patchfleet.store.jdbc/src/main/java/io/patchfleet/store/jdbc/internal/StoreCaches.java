package io.patchfleet.store.jdbc.internal;

import io.patchfleet.store.api.StoreException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Catalog answers of the check-in hot path (what a kernel has, what a tier may get), shared by
 * the stores of one {@link Database}: keyed by the query, valid for one {@link #catalogVersion()},
 * which every catalog or tier write raises after its commit, so a cached answer is never staler
 * than the last commit. Machines are held by {@link FleetIndex}.
 *
 * <p>Races: a reader takes the version before its query and stores its answer only under that
 * version, so an answer read before an invalidation is never cached after it.
 */
final class StoreCaches {
    private record Versioned(Object value, long version) {}

    private final AtomicLong catalogVersion = new AtomicLong();
    private final Map<Object, Versioned> catalog = new ConcurrentHashMap<>();

    /** Reads an answer through the cache. */
    @FunctionalInterface
    interface Loader<K, V> {
        V load(K key) throws StoreException;
    }

    long catalogVersion() {
        return catalogVersion.get();
    }

    /** A catalog answer for {@code key}, read through the cache. */
    @SuppressWarnings("unchecked")
    <K, V> V catalog(K key, Loader<K, V> loader) throws StoreException {
        long version = catalogVersion.get();
        Versioned cached = catalog.get(key);
        if (cached != null && cached.version() == version) {
            return (V) cached.value();
        }
        V value = loader.load(key);
        if (catalogVersion.get() == version) {
            if (catalog.size() > 10_000) {
                catalog.clear();
            }
            catalog.put(key, new Versioned(value, version));
        }
        return value;
    }

    /** After a commit that changed releases, promotions, revocations or tiers. */
    void catalogChanged() {
        catalogVersion.incrementAndGet();
        catalog.clear();
    }
}
