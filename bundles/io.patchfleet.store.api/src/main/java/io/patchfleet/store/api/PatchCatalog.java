package io.patchfleet.store.api;

import io.patchfleet.model.KernelId;
import io.patchfleet.model.PatchRelease;
import io.patchfleet.model.TierName;
import java.util.List;
import java.util.Optional;
import org.osgi.annotation.versioning.ProviderType;

/**
 * The patch releases the server knows and which tiers may see them. Implemented by the
 * platform ({@code io.patchfleet.store.jdbc}); thread-safe; every method is one transaction.
 *
 * <p>A release is identified by ({@link PatchRelease#kernel()}, {@link PatchRelease#version()})
 * and is immutable once added, except for revocation and promotion. Kernels are compared with
 * {@link KernelId#equals} (all four fields).
 *
 * <p><b>Tiers.</b> An added release is available to the first tier (position 0). Promoting it
 * to a tier makes it available to that tier and every tier before it: with tiers
 * {@code edge, beta, stable}, a release promoted to {@code beta} is available to {@code edge}
 * and {@code beta}. Promotion never moves a release back. The store keeps the tier a release was
 * promoted to (not a position), so reordering tiers changes which tiers see it.
 *
 * <p><b>Blobs.</b> Add a release only after its module is in the {@link BlobStore}.
 */
@ProviderType
public interface PatchCatalog {

    /**
     * Adds a release, available to the first tier.
     *
     * @return {@code true} if added; {@code false} if an identical release was already there
     *     (so sync may replay safely). {@link PatchRelease#revoked} is not part of the
     *     comparison: replaying a revoked release revokes the stored one, replaying an unrevoked
     *     one never un-revokes it.
     * @throws StoreException {@link StoreException.Reason#CONFLICT} if a release with the same
     *     kernel and version but other content exists
     */
    boolean add(PatchRelease release) throws StoreException;

    /**
     * Adds releases as {@link #add} does, all in one transaction: either every one is stored (or
     * found identical) or, on a failure, none is. Sync and import add thousands at once; one
     * transaction is one durable write instead of one per release.
     *
     * @return the releases for which {@link #add} would answer {@code true}, in the order given
     * @throws StoreException as {@link #add}; then nothing was changed
     */
    default java.util.List<PatchRelease> addAll(java.util.List<PatchRelease> releases) throws StoreException {
        java.util.List<PatchRelease> changed = new java.util.ArrayList<>();
        for (PatchRelease r : releases) {
            if (add(r)) {
                changed.add(r);
            }
        }
        return changed;
    }

    /**
     * {@link #addAll(java.util.List)} whose transaction commits only after {@code beforeCommit}
     * returned, and not at all if it throws. A sync writes its catalog rows while its blob batch
     * is made durable on another thread, and lets the rows become visible only once the modules
     * are on disk: the two used to run one after the other (BENCHMARKS.md, sync).
     * {@code beforeCommit} may run more than once when the transaction is retried. The default
     * runs it first, then {@link #addAll(java.util.List)}.
     *
     * @since 1.3
     * @throws StoreException as {@link #addAll(java.util.List)}, or what {@code beforeCommit}
     *     threw; then nothing was changed
     */
    default java.util.List<PatchRelease> addAll(java.util.List<PatchRelease> releases, BeforeCommit beforeCommit)
            throws StoreException {
        beforeCommit.run();
        return addAll(releases);
    }

    /** Work a transaction waits for before it commits ({@link #addAll(java.util.List, BeforeCommit)}). */
    @FunctionalInterface
    interface BeforeCommit {
        /** @throws StoreException to roll the transaction back */
        void run() throws StoreException;
    }

    /**
     * One release.
     *
     * @return empty if unknown
     */
    Optional<PatchRelease> find(KernelId kernel, long version) throws StoreException;

    /**
     * All releases for a kernel, revoked ones included, by ascending version.
     *
     * @return empty if none
     */
    List<PatchRelease> findByKernel(KernelId kernel) throws StoreException;

    /**
     * All releases for kernels of one release string ({@code uname -r}), every architecture and
     * build, revoked ones included, ordered by architecture, flavour, build and version: what an
     * admin means by "the patches of 5.15.0-91-generic".
     *
     * @throws IllegalArgumentException if {@code kernelRelease} is not a kernel release
     */
    List<PatchRelease> findByRelease(String kernelRelease) throws StoreException;

    /**
     * The releases for a kernel available to {@code tier}, not revoked, by ascending version:
     * the candidates of a check-in.
     *
     * @throws StoreException {@link StoreException.Reason#NOT_FOUND} if the tier does not exist
     */
    List<PatchRelease> findAvailable(KernelId kernel, TierName tier) throws StoreException;

    /**
     * Revokes a release: it is never offered again, and machines running it are told to revert.
     *
     * @return {@code true} if revoked now; {@code false} if it already was
     * @throws StoreException {@link StoreException.Reason#NOT_FOUND} if unknown
     */
    boolean revoke(KernelId kernel, long version) throws StoreException;

    /**
     * Makes a release available to {@code tier} and all tiers before it.
     *
     * @return {@code true} if that changed anything; {@code false} if it was already available there
     * @throws StoreException {@link StoreException.Reason#NOT_FOUND} if the release or tier is
     *     unknown; {@link StoreException.Reason#CONFLICT} if the release is revoked
     */
    boolean promote(KernelId kernel, long version, TierName tier) throws StoreException;

    /**
     * Promotes every non-revoked release available to {@code from} to {@code to}, in one
     * transaction ({@code promote-all edge beta}).
     *
     * @return how many releases changed
     * @throws StoreException {@link StoreException.Reason#NOT_FOUND} if a tier is unknown
     */
    int promoteAll(TierName from, TierName to) throws StoreException;

    /**
     * The non-revoked releases available to {@code tier}, all kernels, ordered by kernel release,
     * architecture, flavour, build and version: "the patches of a tier".
     *
     * @throws StoreException {@link StoreException.Reason#NOT_FOUND} if the tier does not exist
     */
    List<PatchRelease> findAvailableTo(TierName tier) throws StoreException;

    /**
     * Every release, revoked ones included, in the order of {@link #findAvailableTo}: for
     * integrity checks and exports of the whole catalog.
     */
    List<PatchRelease> findAll() throws StoreException;

    /**
     * The tier a release was promoted to (the first tier when never promoted).
     *
     * @return empty if the release is unknown
     */
    Optional<TierName> promotedTo(KernelId kernel, long version) throws StoreException;
}
