package io.patchfleet.store.api;

import io.patchfleet.model.KernelId;
import java.util.List;
import java.util.Optional;
import org.osgi.annotation.versioning.ProviderType;

/**
 * Releases the upstream withdrew, and the decisions of this server's admins about them
 * (KernelCare's "Blocked" and "Enabled (!)"). Implemented by the platform, over the same
 * releases as {@link PatchCatalog}; thread-safe; every method is one transaction.
 *
 * <p><b>Semantics.</b> Revocation travels: when a sync learns that the upstream withdrew a
 * release ({@link #recordWithdrawal}), the release is revoked here in the same transaction and
 * machines running it are told to disable it — unless an admin here keeps it ({@link #keep}),
 * before or after the withdrawal. A kept release that the upstream withdrew stays offered and is
 * shown as "enabled (!)". A release the publisher revoked (in its signed metadata) can never be
 * kept: clients would refuse it anyway. A release an admin here revoked stays revoked.
 */
@ProviderType
public interface UpstreamWithdrawals {

    /** What {@link #recordWithdrawal} did. */
    enum Outcome {
        /** The release was offered and is now revoked here. */
        REVOKED,
        /** An admin keeps the release: it stays offered, flagged as withdrawn upstream. */
        KEPT,
        /** The withdrawal was known already (or the release was revoked for another reason): nothing changed. */
        UNCHANGED
    }

    /**
     * Records that the upstream withdrew a release: revokes it here unless an admin keeps it.
     *
     * @param reason what the upstream said, or which upstream withdrew it: at most 512 characters
     * @throws StoreException {@link StoreException.Reason#NOT_FOUND} if the release is unknown
     */
    Outcome recordWithdrawal(KernelId kernel, long version, String reason) throws StoreException;

    /**
     * Keeps a release enabled here whatever the upstream does: a release revoked only because the
     * upstream withdrew it is offered again.
     *
     * @param actor the admin deciding it (1–128 characters)
     * @param reason why (at most 512 characters; may be empty)
     * @return {@code true} if that changed anything; {@code false} if it was kept already
     * @throws StoreException {@link StoreException.Reason#NOT_FOUND} if the release is unknown;
     *     {@link StoreException.Reason#CONFLICT} if the publisher or an admin here revoked it
     */
    boolean keep(KernelId kernel, long version, String actor, String reason) throws StoreException;

    /**
     * Ends a {@link #keep}: a release the upstream withdrew is then revoked here at once.
     *
     * @return {@code true} if it was kept
     * @throws StoreException {@link StoreException.Reason#NOT_FOUND} if the release is unknown
     */
    boolean unkeep(KernelId kernel, long version) throws StoreException;

    /**
     * One release's state.
     *
     * @return empty if the release is unknown
     */
    Optional<UpstreamWithdrawal> find(KernelId kernel, long version) throws StoreException;

    /**
     * Every release that the upstream withdrew, is kept, or is revoked, ordered like
     * {@link PatchCatalog#findAll}. Releases simply offered are not listed.
     */
    List<UpstreamWithdrawal> flagged() throws StoreException;
}
