package io.patchfleet.store.api;

import io.patchfleet.model.TierName;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.osgi.annotation.versioning.ProviderType;

/**
 * Sync tokens: the credentials downstream servers sync with. Implemented by the platform;
 * thread-safe; every method is one transaction. Secrets are 32 random bytes, base64url; only
 * their SHA-256 is stored, as for enrollment tokens.
 */
@ProviderType
public interface SyncTokenStore {

    /**
     * Creates a token bound to a tier.
     *
     * @throws StoreException {@link StoreException.Reason#NOT_FOUND} if the tier does not exist;
     *     {@link StoreException.Reason#CONFLICT} if a usable token already has that name
     * @throws IllegalArgumentException if the name is malformed or {@code expiresAt} not in the future
     */
    IssuedSyncToken create(String name, TierName tier, Instant expiresAt, String createdBy) throws StoreException;

    /** All tokens, revoked and expired ones included, newest first. */
    List<SyncToken> tokens() throws StoreException;

    /** One token by id; empty if unknown. */
    Optional<SyncToken> find(String id) throws StoreException;

    /**
     * Revokes a token: it is refused from the next request on.
     *
     * @return {@code true} if revoked now, {@code false} if it already was
     * @throws StoreException {@link StoreException.Reason#NOT_FOUND} if unknown
     */
    boolean revoke(String id) throws StoreException;

    /**
     * The token a secret belongs to, if it is usable now (not revoked, not expired); records the
     * use (at most once a minute per token, to keep the hot path free of writes).
     *
     * @return empty if the secret is unknown, revoked or expired
     */
    Optional<SyncToken> authenticate(String secret) throws StoreException;
}
