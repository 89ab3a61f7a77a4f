package io.patchfleet.store.api;

import io.patchfleet.model.Sha256;
import java.io.InputStream;
import java.util.Optional;
import org.osgi.annotation.versioning.ProviderType;

/**
 * Content-addressed storage of patch modules and other blobs, named by SHA-256. Implemented by
 * the platform ({@code io.patchfleet.blob.fs}); thread-safe.
 *
 * <p><b>Atomicity.</b> {@link #put} is atomic and durable: the content is written to a
 * temporary file, synced, checked, and renamed into place, so a blob either exists completely
 * with content matching its name or does not exist. Concurrent puts of the same content are
 * safe. Blobs are not part of any database transaction: write the blob first, then the
 * catalog row that refers to it; a blob left without a row is garbage that retention removes.
 */
@ProviderType
public interface BlobStore {

    /**
     * Stores the content of {@code in}, reading it to the end (the caller closes it).
     *
     * @param expected the digest the content must have (sync and upload know it); when present
     *     and the content differs, nothing is stored
     * @param maxLength the most bytes to accept; reading stops beyond it and nothing is stored
     * @return digest and length of the stored content; never {@code null}
     * @throws StoreException {@link StoreException.Reason#DIGEST_MISMATCH} if the content does
     *     not match {@code expected}; {@link StoreException.Reason#LIMIT} beyond
     *     {@code maxLength}; {@link StoreException.Reason#UNAVAILABLE} on I/O failure of the
     *     store or of {@code in}
     */
    BlobInfo put(InputStream in, Optional<Sha256> expected, long maxLength) throws StoreException;

    /**
     * Opens a blob for reading from {@code offset}, for HTTP Range requests and resumed
     * downloads. The caller closes the stream. The content read is the stored, verified content.
     *
     * @param offset first byte to read, {@code 0 <= offset <= length}
     * @throws StoreException {@link StoreException.Reason#NOT_FOUND} if there is no such blob
     * @throws IllegalArgumentException if {@code offset} is negative or beyond the length
     */
    InputStream open(Sha256 sha256, long offset) throws StoreException;

    /**
     * Digest and length of a blob.
     *
     * @return empty if there is no such blob
     */
    Optional<BlobInfo> stat(Sha256 sha256) throws StoreException;

    /** Whether the blob exists. */
    boolean exists(Sha256 sha256) throws StoreException;

    /**
     * Deletes a blob. Readers that already opened it may finish reading.
     *
     * @return {@code true} if it existed
     */
    boolean delete(Sha256 sha256) throws StoreException;

    /**
     * What the store holds, for integrity checks ({@code patchfleet admin verify-store}): every
     * blob with its length, files that are not blobs (a name that is not a SHA-256 or a file in
     * the wrong folder), and temporary files of writes not finished (left by a crash until the
     * next start, or of a write running now). Content is not read: check it with {@link #open}.
     */
    BlobInventory inventory() throws StoreException;
}
