package io.patchfleet.sync.api;

import io.patchfleet.model.PatchRelease;
import io.patchfleet.trust.api.MetadataSource;
import io.patchfleet.trust.api.VerifiedTarget;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.Optional;
import org.osgi.annotation.versioning.ConsumerType;

/**
 * Where one update of the server's verified mirror reads from: an upstream server over HTTP, an
 * offline bundle, a publisher folder. It delivers bytes and says what the operator filtered
 * out; it never decides what is trusted: {@link CatalogMirror} verifies every metadata file as
 * a TUF client and every module against its signed target.
 *
 * <p>Metadata calls ({@link #fetch}, {@link #wantsRole}, {@link #wantsRelease}) come from one
 * thread at a time. {@link #openTarget} and {@link #targetFile} come from up to
 * {@link #parallelism()} threads at once, and may overlap the metadata calls: the mirror starts
 * fetching a verified role's modules while it verifies the next roles. Calls block on I/O and
 * must be bounded by the source's own timeouts.
 */
@ConsumerType
public interface MirrorSource extends MetadataSource {

    /** A description for logs and status, such as the upstream URL; never {@code null}. */
    String describe();

    /** Whether to fetch this delegated targets role at all (a filter on kernel series). */
    default boolean wantsRole(String role) {
        return true;
    }

    /** Whether this verified release belongs in the catalog (filters, the sync token's tier). */
    default boolean wantsRelease(PatchRelease release) {
        return true;
    }

    /**
     * How many {@link #openTarget} calls may run at once (parallel downloads). The mirror stores
     * modules with up to this many threads; metadata is still read from one thread.
     *
     * @return at least 1; the default, 1, keeps every call on one thread
     */
    default int parallelism() {
        return 1;
    }

    /**
     * The module bytes of a verified target, at most {@code target.length()} bytes. The caller
     * checks length and digest again before anything becomes visible.
     *
     * @throws IOException if the bytes cannot be had (network, timeout, not found, mismatch)
     */
    InputStream openTarget(VerifiedTarget target) throws IOException;

    /**
     * The module bytes of a verified target as a finished file (a download) that the mirror may
     * move into the blob store instead of copying them ({@code BlobStore.adopt}). The file is
     * trusted no more than {@link #openTarget}'s bytes: the blob store checks length and digest
     * before anything is stored. The mirror takes the file over: it is moved into the store, or
     * deleted by the mirror if it does not match. Same threading as {@link #openTarget}.
     *
     * @return the file, at most {@code target.length()} bytes; empty (the default): the mirror
     *     reads {@link #openTarget} instead
     * @throws IOException if the bytes cannot be had (network, timeout, not found)
     * @since 1.2
     */
    default Optional<Path> targetFile(VerifiedTarget target) throws IOException {
        return Optional.empty();
    }

    /**
     * Whether {@link #transferTarget} is offered: the mirror then has the source write each module
     * straight into the blob store (written once, hashed on the way, checked by the store) rather
     * than through {@link #targetFile} or {@link #openTarget}.
     *
     * @since 1.3
     */
    default boolean transfersTargets() {
        return false;
    }

    /**
     * Writes the bytes of a verified target into {@code sink}, from {@link ModuleSink#position()}
     * (kept from an interrupted earlier transfer) to {@code target.length()}, and nothing beyond.
     * Returns when every byte is written. The caller checks length and digest (the blob store)
     * before anything becomes visible; a source that cannot resume calls
     * {@link ModuleSink#restart()} and sends from the first byte. Same threading as
     * {@link #openTarget}. Only called when {@link #transfersTargets()}.
     *
     * @throws IOException if the bytes cannot be had (network, timeout, not found), or the sink's
     *     own failure; what the sink holds then stays for the next transfer
     * @since 1.3
     */
    default void transferTarget(VerifiedTarget target, ModuleSink sink) throws IOException {
        throw new UnsupportedOperationException(describe() + " does not transfer modules");
    }

    /**
     * What {@link #wantsRole} and {@link #wantsRelease} answer, as an opaque key: the filters and
     * the version of what the source lists (an upstream's listing ETag). When an update finds the
     * same key as the last complete one and the publisher metadata unchanged (same root, targets,
     * snapshot and role versions; nothing it reuses expired), the mirror keeps its last result
     * instead of walking every role and release again. A source that cannot tell must answer empty.
     *
     * @return empty (the default): every update walks every wanted role and release
     * @since 1.2
     */
    default Optional<String> selectionKey() {
        return Optional.empty();
    }
}
