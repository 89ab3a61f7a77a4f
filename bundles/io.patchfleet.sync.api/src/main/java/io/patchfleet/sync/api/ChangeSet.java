package io.patchfleet.sync.api;

import io.patchfleet.trust.api.MetadataFile;
import java.util.List;
import java.util.Objects;

/**
 * What changed upstream since a cursor: one batch.
 *
 * @param metadata metadata files, verbatim, in the order they must be applied (root chain
 *     first, timestamp last); copied, unmodifiable
 * @param blobs blobs referenced by the new metadata; copied, unmodifiable
 * @param next the cursor after this batch; store it only after the batch is committed
 * @param more whether the source has more changes after {@code next}
 */
public record ChangeSet(List<MetadataFile> metadata, List<BlobRef> blobs, SyncCursor next, boolean more) {
    public ChangeSet {
        Objects.requireNonNull(metadata, "metadata");
        Objects.requireNonNull(blobs, "blobs");
        Objects.requireNonNull(next, "next");
        metadata = List.copyOf(metadata);
        blobs = List.copyOf(blobs);
    }

    /** Whether nothing changed. */
    public boolean isEmpty() {
        return metadata.isEmpty() && blobs.isEmpty();
    }
}
