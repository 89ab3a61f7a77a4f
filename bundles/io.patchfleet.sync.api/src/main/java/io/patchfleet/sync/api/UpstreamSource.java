package io.patchfleet.sync.api;

import io.patchfleet.model.Sha256;
import java.io.InputStream;
import org.osgi.annotation.versioning.ConsumerType;

/**
 * A place patches come from: an upstream server over HTTP ({@code io.patchfleet.sync.http}),
 * an offline bundle ({@code io.patchfleet.sync.offline}), or a third-party plugin. Registered
 * as a DS service; the sync service picks the configured one by {@code *.target} filter.
 *
 * <p><b>Threading:</b> called from the sync job thread, one call at a time per instance; calls
 * block on I/O but must be bounded by the source's own timeouts (connect, read, minimum rate),
 * never hang. Implementations must stop reading after the lengths they were told to expect.
 *
 * <p><b>Errors:</b> {@link SyncException} with a reason; never {@code null} results.
 */
@ConsumerType
public interface UpstreamSource {

    /**
     * The changes after {@code since}, at most {@code maxFiles} metadata files per batch.
     *
     * @param since the cursor of the last committed batch, or {@link SyncCursor#START}
     * @param maxFiles most metadata files to return; at least 1
     * @return the next batch; {@link ChangeSet#isEmpty()} when up to date
     * @throws SyncException if the source cannot be reached, refuses the token, or answers
     *     something it cannot parse
     */
    ChangeSet changesSince(SyncCursor since, int maxFiles) throws SyncException;

    /**
     * Opens a blob from {@code offset}, to resume an interrupted download. The caller closes
     * the stream and checks the content.
     *
     * @param offset first byte, {@code 0 <= offset <= length}
     * @throws SyncException {@link SyncException.Reason#NOT_FOUND} if the source has no such blob
     */
    InputStream openBlob(Sha256 sha256, long offset) throws SyncException;
}
