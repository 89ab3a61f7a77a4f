package io.patchfleet.store.api;

import org.osgi.annotation.versioning.ProviderType;

/**
 * A blob written into the store as it arrives, from {@link BlobBatch#receive}: the store writes
 * the bytes, hashes them on the way and names nothing until {@link #complete()} has checked the
 * whole (exact length, expected SHA-256). A download is written once and read by no one before it
 * is checked: no copy through a caller's file, no second pass over the bytes to hash them.
 *
 * <p><b>Resume.</b> Bytes received by a receiver that was closed without {@link #complete()} (a
 * download cut off, a server stopped, killed) may be kept, up to a store-specific boundary; the
 * next {@code receive} of the same blob starts at {@link #position()}, so the caller asks its
 * source for the rest only. Kept bytes are not forced to disk: after a power loss they may be
 * damaged, which {@link #complete()} finds (and the caller then starts over with {@link #restart()}).
 *
 * <p>One thread at a time; {@link #close()} always.
 *
 * @since 1.4
 */
@ProviderType
public interface BlobReceiver extends AutoCloseable {

    /** Bytes of the blob received so far, kept ones included: the offset of the next {@link #write}. */
    long position();

    /**
     * The next bytes of the blob.
     *
     * @throws StoreException {@link StoreException.Reason#LIMIT} beyond the blob's length (nothing is
     *     kept then); {@link StoreException.Reason#UNAVAILABLE} if the store cannot write
     */
    void write(byte[] bytes, int offset, int length) throws StoreException;

    /** Drops every byte received so far: the next {@link #write} is the blob's first byte. */
    void restart() throws StoreException;

    /**
     * Checks what was received (exactly the blob's length, the expected SHA-256) and adds the blob to
     * the batch: visible and durable as a {@link BlobBatch#adopt}ed file is, at the batch's commit.
     *
     * @throws StoreException {@link StoreException.Reason#DIGEST_MISMATCH} if the bytes are not the
     *     expected ones (they are dropped: a later {@code receive} starts at 0)
     */
    BlobInfo complete() throws StoreException;

    /** Ends the receive; without {@link #complete()}, what was received may be kept for a resume. */
    @Override
    void close();
}
