package io.patchfleet.store.api;

import io.patchfleet.model.Tier;
import io.patchfleet.model.TierName;
import java.util.List;
import java.util.Optional;
import org.osgi.annotation.versioning.ProviderType;

/**
 * The ordered list of tiers. Implemented by the platform; thread-safe; every method is one
 * transaction, and changes to the list are serialized (two admins reordering at once end with
 * one of their lists, never a mix). A new server starts with {@code edge, beta, candidate, stable}.
 *
 * <p><b>Releases of a removed tier.</b> A patch release records the tier it was promoted to (see
 * {@link PatchCatalog}). When that tier disappears ({@link #delete}, {@link #define}) the release
 * falls back to the nearest surviving tier before it in the old order, or to the new first tier
 * when none survives before it: removing a tier never makes a release available to a tier
 * after it.
 */
@ProviderType
public interface TierStore {

    /** All tiers by ascending position (0, 1, 2, …, no gaps); never empty. */
    List<Tier> tiers() throws StoreException;

    /**
     * One tier.
     *
     * @return empty if there is none of that name
     */
    Optional<Tier> find(TierName name) throws StoreException;

    /**
     * Replaces the tier list atomically; positions follow the list order.
     *
     * @param ordered tier names, first to last; not empty, no duplicates
     * @return the stored tiers
     * @throws StoreException {@link StoreException.Reason#CONFLICT} if a tier that would
     *     disappear still has machines or enrollment tokens
     */
    List<Tier> define(List<TierName> ordered) throws StoreException;

    /**
     * Inserts a new tier at {@code position}; tiers at and after it move one place later.
     * Reordering is {@link #define} with the same names in a new order.
     *
     * @param position 0 to the current number of tiers (that number appends)
     * @return the stored tiers
     * @throws StoreException {@link StoreException.Reason#CONFLICT} if the tier exists
     * @throws IllegalArgumentException if {@code position} is out of range
     */
    List<Tier> create(TierName name, int position) throws StoreException;

    /**
     * Deletes a tier; later tiers move one place earlier.
     *
     * @return the stored tiers
     * @throws StoreException {@link StoreException.Reason#NOT_FOUND} if there is no such tier;
     *     {@link StoreException.Reason#CONFLICT} if it still has machines or enrollment tokens
     *     (revoked or expired tokens count: they are history), or it is the last tier
     */
    List<Tier> delete(TierName name) throws StoreException;
}
