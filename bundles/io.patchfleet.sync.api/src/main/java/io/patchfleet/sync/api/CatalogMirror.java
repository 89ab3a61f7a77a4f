package io.patchfleet.sync.api;

import io.patchfleet.trust.api.TrustAnchor;
import org.osgi.annotation.versioning.ProviderType;

/**
 * The server's verified mirror of publisher metadata, which check-ins serve, and the catalog it
 * feeds. Implemented by the platform ({@code io.patchfleet.server.machines}); sync and import
 * hand it a {@link MirrorSource}.
 *
 * <p>One update: TUF client refresh from the source (root chain, timestamp, snapshot, targets,
 * then each wanted delegated role; unchanged roles are not fetched again), each wanted module
 * stored only after its length and digest match the signed target, and only then the catalog
 * rows added (revoked targets revoke). On any failure the mirror's trusted state and the catalog
 * keep what they had: a patch appears only when metadata and module are complete and verified.
 * Updates are serialized.
 */
@ProviderType
public interface CatalogMirror {

    /**
     * Runs one complete update.
     *
     * @param anchor what to trust when the mirror holds no root yet (afterwards the stored root
     *     and its rotation chain are the base of trust)
     * @return what changed; never {@code null}
     * @throws SyncException {@link SyncException.Reason#VERIFICATION_FAILED} for metadata or a
     *     module that does not verify (tampered, rolled back, expired, wrong key);
     *     {@link SyncException.Reason#UNREACHABLE} for I/O failures of the source;
     *     {@link SyncException.Reason#STORAGE} for local failures
     */
    MirrorResult update(MirrorSource source, TrustAnchor anchor) throws SyncException;
}
