package io.patchfleet.store.api;

import io.patchfleet.model.Sha256;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.Optional;
import org.osgi.annotation.versioning.ProviderType;

/**
 * Writes of many blobs whose folder syncs are done once, at {@link #commit()}, from
 * {@link BlobStore#batch()}.
 *
 * <p>Each {@link #put} and {@link #adopt} works as the {@link BlobStore} method of the same name
 * (checked, content forced to disk, atomic rename) except that the folders holding the new names
 * are not synced yet: a blob is complete and visible to {@link BlobStore#open} when {@code put}
 * returns, survives {@code kill -9}, but after a power loss before {@link #commit()} its name may
 * be missing (never present with partial content). {@code adopt} checks the file (digest, length)
 * before it returns, and may force and rename it later, in the background: the blob is visible
 * when {@link #commit()} returns at the latest; until it is, the file stays at its path (after a
 * {@code kill -9} it is there to be adopted again), and the caller must leave it alone. {@link #commit()} syncs every folder the
 * batch changed, once each (storing 1,000 blobs synced up to 3,000 folders one by one), and only
 * then are the blobs durable. Callers that make blobs visible through a database row must call
 * {@link #commit()} before that row's commit; a batch never committed leaves at most complete
 * blobs without rows, the garbage {@link BlobStore} already allows.
 *
 * <p>Thread-safe: several threads may put and adopt in one batch at once; {@link #commit()}
 * covers every call that returned before it started. A batch may be committed more than once.
 *
 * @since 1.2
 */
@ProviderType
public interface BlobBatch {

    /** {@link BlobStore#put}, durable only after {@link #commit()}. */
    BlobInfo put(InputStream in, Optional<Sha256> expected, long maxLength) throws StoreException;

    /**
     * {@link BlobStore#adopt}, checked when it returns (a wrong file is refused then and left where
     * it is), in the store and durable only after {@link #commit()}.
     */
    BlobInfo adopt(Path file, Optional<Sha256> expected, long maxLength) throws StoreException;

    /**
     * A blob to be written as it arrives (a download): see {@link BlobReceiver}. After its
     * {@link BlobReceiver#complete()} the blob is part of this batch like an {@link #adopt}ed file.
     *
     * @param expected the blob's SHA-256, which {@link BlobReceiver#complete()} checks
     * @param length the blob's exact length
     * @throws StoreException {@link StoreException.Reason#UNAVAILABLE} if the store cannot write
     * @since 1.4
     */
    BlobReceiver receive(Sha256 expected, long length) throws StoreException;

    /**
     * Makes the name of a blob stored earlier durable at {@link #commit()} as if this batch had
     * stored it: for a blob about to be made visible that another batch stored, which may never
     * have committed (a process killed before its commit; after the restart the blob is there,
     * but its name may not survive a power loss yet).
     *
     * @throws StoreException {@link StoreException.Reason#NOT_FOUND} if there is no such blob
     */
    void keep(Sha256 sha256) throws StoreException;

    /**
     * Finishes every adoption (content forced, renamed into place), then syncs every folder that
     * this batch's writes changed, once each.
     *
     * @throws StoreException {@link StoreException.Reason#UNAVAILABLE} if a file or a folder cannot
     *     be synced: the blobs are then not known to be durable
     */
    void commit() throws StoreException;
}
