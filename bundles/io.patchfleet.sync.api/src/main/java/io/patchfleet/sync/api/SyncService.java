package io.patchfleet.sync.api;

import org.osgi.annotation.versioning.ProviderType;

/**
 * The server's sync job. Implemented by the platform; thread-safe; runs at most one sync at a
 * time (with several server nodes, only on the leader). Neither method blocks on the sync
 * itself: long operations return at once and are polled through {@link #status()}.
 */
@ProviderType
public interface SyncService {

    /**
     * Asks for a sync as soon as possible. If one is already queued or running, this does not
     * start another; it returns the current status.
     *
     * @return the status right after the request; {@link SyncStatus.State#QUEUED} or
     *     {@link SyncStatus.State#RUNNING} unless sync is disabled; never {@code null}
     * @throws SyncException {@link SyncException.Reason#NOT_CONFIGURED} if there is no source
     */
    SyncStatus trigger() throws SyncException;

    /** The current status; never blocks, never {@code null}. */
    SyncStatus status();
}
