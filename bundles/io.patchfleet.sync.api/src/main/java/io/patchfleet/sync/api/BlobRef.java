package io.patchfleet.sync.api;

import io.patchfleet.model.Sha256;
import java.util.Objects;

/**
 * A blob a change set needs, as the upstream announces it. Only a hint for planning the
 * download: the bytes are checked against the signed target, not against this.
 *
 * @param sha256 the blob's digest; never {@code null}
 * @param length its length in bytes; at least 1
 */
public record BlobRef(Sha256 sha256, long length) {
    public BlobRef {
        Objects.requireNonNull(sha256, "blob sha256");
        if (length < 1) {
            throw new IllegalArgumentException("blob length must be at least 1: " + length);
        }
    }
}
