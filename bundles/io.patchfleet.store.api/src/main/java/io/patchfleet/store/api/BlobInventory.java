package io.patchfleet.store.api;

import java.util.List;
import java.util.Objects;

/**
 * What a {@link BlobStore} holds (see {@link BlobStore#inventory}).
 *
 * @param blobs every blob, by digest name, with its length; copied
 * @param strays files in the store that are not blobs, as paths relative to the store; copied
 * @param temporary temporary files of unfinished writes, relative to the store; copied
 */
public record BlobInventory(List<BlobInfo> blobs, List<String> strays, List<String> temporary) {
    public BlobInventory {
        blobs = List.copyOf(Objects.requireNonNull(blobs, "blobs"));
        strays = List.copyOf(Objects.requireNonNull(strays, "strays"));
        temporary = List.copyOf(Objects.requireNonNull(temporary, "temporary"));
    }
}
