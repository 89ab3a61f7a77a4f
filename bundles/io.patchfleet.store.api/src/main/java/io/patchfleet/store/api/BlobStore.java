package io.patchfleet.store.api;

import io.patchfleet.model.Sha256;
import java.io.InputStream;
import java.nio.file.Path;
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
 *
 * <p><b>Batches.</b> Storing many blobs (a sync) through a {@link #batch()} makes each one
 * complete, verified and its content durable before its name appears, and defers only the sync
 * of the folders that name them to {@link BlobBatch#commit()}, once per folder: call it before
 * the catalog commit that makes the blobs visible.
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
     * Stores the content of a file the caller wrote (a finished download) by moving the file into
     * the store: its bytes are not copied. The store still reads it once to check its digest and
     * length itself, forces it to disk and renames it into place, so the guarantees of
     * {@link #put} hold unchanged: the caller's own checks are not trusted. Durable on return.
     *
     * <p>On success the file is gone (moved, or deleted if the store held the blob already). On
     * {@link StoreException.Reason#DIGEST_MISMATCH} and {@link StoreException.Reason#LIMIT}
     * nothing is stored and the file is left where it was, for the caller to delete or resume.
     * A file on another file system than the store is copied instead of moved.
     *
     * @param file a regular file no one writes to any more; never {@code null}
     * @param expected the digest the content must have; when present and the content differs,
     *     nothing is stored
     * @param maxLength the most bytes to accept
     * @return digest and length of the stored content
     * @throws StoreException as {@link #put}; {@link StoreException.Reason#UNAVAILABLE} also
     *     when {@code file} cannot be read
     * @since 1.2
     */
    BlobInfo adopt(Path file, Optional<Sha256> expected, long maxLength) throws StoreException;

    /**
     * A batch of writes for storing many blobs at once, such as a sync: see {@link BlobBatch}.
     * Batches are independent of each other and of single puts; a batch is thread-safe.
     *
     * @since 1.2
     */
    BlobBatch batch();

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
