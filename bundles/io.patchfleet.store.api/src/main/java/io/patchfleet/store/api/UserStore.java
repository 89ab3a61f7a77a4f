package io.patchfleet.store.api;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.osgi.annotation.versioning.ProviderType;

/**
 * Administrator accounts. Implemented by the platform; thread-safe; every method is one
 * transaction. The store keeps password hashes as given; hashing (a slow KDF) is the caller's.
 *
 * <p><b>The last admin.</b> Changes to users are serialized, and a change that would leave no
 * user with the role {@value #ADMIN_ROLE} (demoting or deleting the last one) is refused with
 * {@link StoreException.Reason#CONFLICT}, so a server can never lock all administrators out.
 *
 * <p><b>Lockout bookkeeping.</b> {@link #recordFailedLogin} counts failures within a window and
 * locks the user when they reach a limit; the policy (limit, window, lock time) is the caller's,
 * the store applies it atomically so concurrent failures are all counted. Times come from the
 * store's clock.
 */
@ProviderType
public interface UserStore {
    /** The role that may manage users; at least one user always has it. */
    String ADMIN_ROLE = "admin";

    /**
     * Creates a user.
     *
     * @return the stored user; never {@code null}
     * @throws StoreException {@link StoreException.Reason#CONFLICT} if a user of that name exists
     * @throws IllegalArgumentException if the name, role or hash is malformed (see {@link User})
     */
    User create(String name, String role, String passwordHash) throws StoreException;

    /**
     * One user.
     *
     * @return empty if there is none of that name
     */
    Optional<User> find(String name) throws StoreException;

    /** All users by name. */
    List<User> list() throws StoreException;

    /** How many users exist. */
    long count() throws StoreException;

    /**
     * Replaces a user's password hash; also clears failed logins and any lock.
     *
     * @return the stored user
     * @throws StoreException {@link StoreException.Reason#NOT_FOUND} if unknown
     */
    User setPasswordHash(String name, String passwordHash) throws StoreException;

    /**
     * Changes a user's role.
     *
     * @return the stored user
     * @throws StoreException {@link StoreException.Reason#NOT_FOUND} if unknown;
     *     {@link StoreException.Reason#CONFLICT} if it would leave no {@value #ADMIN_ROLE}
     */
    User setRole(String name, String role) throws StoreException;

    /**
     * Deletes a user.
     *
     * @return the deleted user
     * @throws StoreException {@link StoreException.Reason#NOT_FOUND} if unknown;
     *     {@link StoreException.Reason#CONFLICT} if it is the last {@value #ADMIN_ROLE}
     */
    User delete(String name) throws StoreException;

    /**
     * Counts a failed login. A failure more than {@code window} after the first failure of the
     * current window starts a new window. When the count reaches {@code maxFailures}, the user
     * is locked until now + {@code lockFor} and the count starts again.
     *
     * @return the stored user after counting
     * @throws StoreException {@link StoreException.Reason#NOT_FOUND} if unknown
     * @throws IllegalArgumentException if {@code maxFailures} is below 1 or a duration is not positive
     */
    User recordFailedLogin(String name, int maxFailures, Duration window, Duration lockFor) throws StoreException;

    /**
     * Records a successful login: clears failed logins and stamps the login time. A lock that
     * has not expired is kept (the caller refuses locked users before checking the password).
     *
     * @throws StoreException {@link StoreException.Reason#NOT_FOUND} if unknown
     */
    User recordLogin(String name) throws StoreException;

    /**
     * Locks a user until {@code until}, or unlocks it with an empty value (and clears failures).
     *
     * @return the stored user
     * @throws StoreException {@link StoreException.Reason#NOT_FOUND} if unknown
     */
    User lockUntil(String name, Optional<Instant> until) throws StoreException;
}
