package io.patchfleet.sync.api;

import io.patchfleet.model.PatchRelease;
import io.patchfleet.trust.api.MetadataSource;
import io.patchfleet.trust.api.VerifiedTarget;
import java.io.IOException;
import java.io.InputStream;
import org.osgi.annotation.versioning.ConsumerType;

/**
 * Where one update of the server's verified mirror reads from: an upstream server over HTTP, an
 * offline bundle, a publisher folder. It delivers bytes and says what the operator filtered
 * out; it never decides what is trusted: {@link CatalogMirror} verifies every metadata file as
 * a TUF client and every module against its signed target.
 *
 * <p>Called from one thread at a time, except {@link #openTarget}, which the mirror calls from
 * up to {@link #parallelism()} threads at once; calls block on I/O and must be bounded by the
 * source's own timeouts.
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
}
