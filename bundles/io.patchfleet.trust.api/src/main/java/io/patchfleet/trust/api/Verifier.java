package io.patchfleet.trust.api;

import java.io.IOException;
import java.time.Instant;
import java.util.Optional;
import org.osgi.annotation.versioning.ProviderType;

/**
 * The trusted state of one TUF repository and the update that advances it (TUF 1.0 client
 * workflow: root chain, timestamp, snapshot, targets), obtained from {@link TrustService#open}.
 *
 * <p><b>Threading:</b> thread-safe. {@link #refresh} calls are serialized (a second caller
 * waits for the first); {@link #root()} and {@link #current()} never block and return the state
 * of the last complete update.
 */
@ProviderType
public interface Verifier {

    /**
     * The currently trusted root.
     *
     * @return empty until a root has been trusted (a new store: the first {@link #refresh}
     *     fetches and checks it against the anchor)
     */
    Optional<TrustedRoot> root();

    /**
     * The metadata of the last successful update, loaded from the store at open time or set by
     * {@link #refresh}. It may have expired since: check {@link TrustedMetadata#isExpired}.
     *
     * @return empty if no complete update ever succeeded
     */
    Optional<TrustedMetadata> current();

    /**
     * Runs one complete update against {@code source}. Every expiry is checked against the one
     * time {@code updateStart}, fixed by the caller when the update began. On success the new
     * state is saved to the store and returned; on any failure the trusted state is unchanged.
     *
     * @param source where to fetch files from; never {@code null}
     * @param updateStart the start of this update, from the caller's clock; never {@code null}
     * @return the new trusted metadata; never {@code null}
     * @throws TrustException if the fetched metadata is not trustworthy (see its subclasses)
     * @throws IOException if fetching or saving failed
     */
    TrustedMetadata refresh(MetadataSource source, Instant updateStart) throws TrustException, IOException;
}
