package io.patchfleet.sync.api;

import io.patchfleet.model.PatchRelease;
import java.util.List;
import java.util.Objects;

/**
 * What one {@link CatalogMirror#update} verified and changed.
 *
 * @param timestampVersion the version of the now trusted timestamp
 * @param snapshotVersion the version of the now trusted snapshot
 * @param roles delegated roles now mirrored (after filters)
 * @param releases every verified release the source wanted, revoked ones included; unmodifiable
 * @param added catalog rows added or newly revoked by this update
 * @param blobs modules stored by this update (new ones only)
 * @param blobBytes bytes of those modules
 */
public record MirrorResult(long timestampVersion, long snapshotVersion, int roles, List<PatchRelease> releases, int added,
        int blobs, long blobBytes) {
    public MirrorResult {
        Objects.requireNonNull(releases, "releases");
        releases = List.copyOf(releases);
    }
}
