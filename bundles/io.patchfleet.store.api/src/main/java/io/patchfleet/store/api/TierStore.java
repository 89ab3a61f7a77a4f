package io.patchfleet.store.api;

import io.patchfleet.model.Tier;
import io.patchfleet.model.TierName;
import java.util.List;
import java.util.Optional;
import org.osgi.annotation.versioning.ProviderType;

/**
 * The ordered list of tiers. Implemented by the platform; thread-safe; every method is one
 * transaction. A new server starts with {@code edge, beta, candidate, stable}.
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
}
