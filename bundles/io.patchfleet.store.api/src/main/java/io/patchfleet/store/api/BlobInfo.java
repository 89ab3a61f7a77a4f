package io.patchfleet.store.api;

import io.patchfleet.model.Sha256;
import java.util.Objects;

/**
 * A stored blob: its name is its SHA-256.
 *
 * @param sha256 the digest of the content; never {@code null}
 * @param length the content length in bytes; not negative
 */
public record BlobInfo(Sha256 sha256, long length) {
    public BlobInfo {
        Objects.requireNonNull(sha256, "blob sha256");
        if (length < 0) {
            throw new IllegalArgumentException("blob length must not be negative: " + length);
        }
    }
}
