package io.patchfleet.store.api;

import io.patchfleet.model.MachineId;
import io.patchfleet.model.TierName;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.osgi.annotation.versioning.ProviderType;

/**
 * Enrollment tokens and machine credentials. Implemented by the platform; thread-safe; every
 * method is one transaction.
 *
 * <p><b>Secrets.</b> Token secrets and machine credentials are 32 random bytes from
 * {@link java.security.SecureRandom}, base64url encoded without padding. The store keeps only
 * their SHA-256 (a slow KDF is not needed for 256 random bits, and the check-in hot path
 * authenticates with one indexed lookup). A secret is returned exactly once, at creation.
 *
 * <p><b>Re-enrollment</b> of a known machine id is idempotent: it keeps the machine's first
 * enrollment time, moves it to the token's tier, replaces its tags, and rotates its credential:
 * the last credential the machine used keeps working until the new one is first used
 * ({@link #authenticate}), then stops; a credential issued and never used stops working when the
 * machine is enrolled again. A machine that refuses the server's answer (a publisher root that
 * does not match its pin) or never receives it is thereby not locked out. Re-enrolling through the token that
 * already enrolled the machine does not use the token again, so a client retrying after a lost
 * response succeeds even with a single-use token.
 */
@ProviderType
public interface EnrollmentStore {

    /**
     * Creates a token bound to a tier.
     *
     * @param expiresAt when it stops working; after the store's current time
     * @param maxUses how many machines may enroll with it; at least 1
     * @param description a note for admins, at most 256 characters; may be empty
     * @param createdBy who creates it
     * @return the token and its secret; never {@code null}
     * @throws StoreException {@link StoreException.Reason#NOT_FOUND} if the tier does not exist
     * @throws IllegalArgumentException if {@code expiresAt} is not in the future or
     *     {@code maxUses} below 1
     */
    IssuedToken createToken(TierName tier, Instant expiresAt, int maxUses, String description, String createdBy)
            throws StoreException;

    /** All tokens, revoked and expired ones included, newest first. */
    List<EnrollmentToken> tokens() throws StoreException;

    /**
     * One token.
     *
     * @return empty if unknown
     */
    Optional<EnrollmentToken> findToken(String id) throws StoreException;

    /**
     * Revokes a token: it is refused from now on. Machines enrolled with it stay enrolled.
     *
     * @return {@code true} if revoked now; {@code false} if it already was
     * @throws StoreException {@link StoreException.Reason#NOT_FOUND} if unknown
     */
    boolean revokeToken(String id) throws StoreException;

    /**
     * Enrolls (or re-enrolls) a machine with a token secret and issues its new credential.
     *
     * @param tags the machine's tags, replacing earlier ones
     * @return the machine and its new credential; never {@code null}
     * @throws StoreException {@link StoreException.Reason#REJECTED} if the secret matches no
     *     token, or the token is revoked, expired or used up (the message says which, for logs)
     * @throws IllegalArgumentException if a tag is malformed
     */
    Enrollment enroll(String tokenSecret, MachineId machine, Set<String> tags) throws StoreException;

    /**
     * The machine a credential belongs to: the check-in's authentication.
     *
     * @return empty if the credential is unknown (never issued, replaced, or the machine removed)
     */
    Optional<MachineId> authenticate(String credential) throws StoreException;
}
