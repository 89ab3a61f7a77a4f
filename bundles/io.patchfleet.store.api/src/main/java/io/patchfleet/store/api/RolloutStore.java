package io.patchfleet.store.api;

import java.util.List;
import org.osgi.annotation.versioning.ProviderType;

/**
 * Rollout state per release and tier ({@link RolloutRecord}). Implemented by the platform;
 * thread-safe; every method is one transaction. The rollout engine keeps all records in memory
 * and reads them from here at start and periodically (other server nodes may change them), so
 * nothing here is on the check-in path.
 */
@ProviderType
public interface RolloutStore {

    /** Every record, in no particular order. */
    List<RolloutRecord> all() throws StoreException;

    /**
     * Stores {@code record} unless one exists for its kernel, version and tier.
     *
     * @return the stored record: {@code record}, or the one that was there first
     */
    RolloutRecord createIfAbsent(RolloutRecord record) throws StoreException;

    /** Stores {@code record}, replacing the one for its kernel, version and tier (or adding it). */
    void save(RolloutRecord record) throws StoreException;
}
