package io.patchfleet.store.jdbc.internal;

import io.patchfleet.model.Machine;
import io.patchfleet.model.MachineId;
import io.patchfleet.store.api.StoreException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Read caches of the check-in hot path, shared by the stores of one {@link Database}: machine
 * rows by credential hash and by id, and catalog answers. Every write that could make an entry
 * wrong goes through a store of this bundle in this JVM and invalidates here <em>after</em> its
 * commit, so a cached answer is never staler than the last commit.
 *
 * <p><b>Machines</b> (credential hash → machine, id → machine): dropped on every re-enrollment,
 * admin enrollment (tier or tags moved) and deregistration — all of them, not only the one
 * machine: such writes are rare next to check-ins, and a full clear keeps the invalidation
 * obviously complete. A first enrollment needs nothing (no entry can exist for a machine that
 * was never found; misses are not cached). Entries also expire after {@link #MACHINE_TTL}, which
 * bounds staleness should another process write the same database. At most
 * {@link #MAX_MACHINES} entries per map; a full map is cleared and refilled (cheaper than an LRU
 * on this path, and a check-in finds its machine by credential right after authentication
 * either way).
 *
 * <p><b>Catalog</b> (what a kernel has, what a tier may get): keyed by the query, valid for one
 * {@link #catalogVersion()}, which every catalog or tier write raises after its commit.
 *
 * <p>Races: a reader takes the generation before its query and stores its answer only under
 * that generation, so an answer read before an invalidation is never cached after it.
 */
final class StoreCaches {
    static final int MAX_MACHINES = 200_000;
    static final Duration MACHINE_TTL = Duration.ofSeconds(60);

    private record Entry(Machine machine, long generation, long loadedNanos) {}

    private record Versioned(Object value, long version) {}

    private final AtomicLong machineGeneration = new AtomicLong();
    private final Map<String, Entry> byCredential = new ConcurrentHashMap<>();
    private final Map<MachineId, Entry> byId = new ConcurrentHashMap<>();
    private final AtomicLong catalogVersion = new AtomicLong();
    private final Map<Object, Versioned> catalog = new ConcurrentHashMap<>();

    /** Reads a machine through the cache. */
    @FunctionalInterface
    interface Loader<K, V> {
        V load(K key) throws StoreException;
    }

    long machineGeneration() {
        return machineGeneration.get();
    }

    /** The cached machine for a credential hash, or null. */
    Machine byCredential(String credentialHash) {
        return fresh(byCredential.get(credentialHash));
    }

    /** The cached machine for an id, or null. */
    Machine byId(MachineId id) {
        return fresh(byId.get(id));
    }

    /** Caches a machine read under {@code generation} (taken before the read), with its credential hash if known. */
    void putMachine(Machine machine, String credentialHash, long generation) {
        if (machineGeneration.get() != generation) {
            return;
        }
        Entry e = new Entry(machine, generation, System.nanoTime());
        if (byId.size() >= MAX_MACHINES || byCredential.size() >= MAX_MACHINES) {
            byId.clear();
            byCredential.clear();
        }
        byId.put(machine.id(), e);
        if (credentialHash != null) {
            byCredential.put(credentialHash, e);
        }
    }

    /** After a commit that changed a machine's credential, tier or tags, or removed it. */
    void machinesChanged() {
        machineGeneration.incrementAndGet();
        byId.clear();
        byCredential.clear();
    }

    private Machine fresh(Entry e) {
        if (e == null || e.generation() != machineGeneration.get()
                || System.nanoTime() - e.loadedNanos() > MACHINE_TTL.toNanos()) {
            return null;
        }
        return e.machine();
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
