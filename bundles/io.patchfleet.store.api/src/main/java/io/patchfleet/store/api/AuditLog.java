package io.patchfleet.store.api;

import java.util.List;
import org.osgi.annotation.versioning.ProviderType;

/**
 * The append-only log of changes: who, what, before, after, when. Implemented by the platform;
 * thread-safe; every method is one transaction. Entries are never updated or deleted through
 * this API.
 *
 * <p>A change and its entry are separate calls (the stores above do not take an actor): make the
 * change, then {@link #append} its entry. A crash between the two loses that one entry, never
 * the change; a failed change must not be logged as done.
 */
@ProviderType
public interface AuditLog {

    /**
     * Appends an entry stamped with the store's clock.
     *
     * @return the stored entry; never {@code null}
     * @throws IllegalArgumentException if a field is out of the bounds of {@link AuditEntry}
     */
    AuditEntry append(String actor, String action, String target, String before, String after)
            throws StoreException;

    /**
     * Entries with an id greater than {@code afterId}, oldest first, at most {@code limit}
     * (1 to 1000). Start with 0; continue with the last id returned.
     */
    List<AuditEntry> entries(long afterId, int limit) throws StoreException;
}
