package io.patchfleet.trust.api;

import java.io.IOException;
import org.osgi.annotation.versioning.ProviderType;

/**
 * Entry point of a trust implementation, registered as an OSGi service. Thread-safe and
 * stateless; the state lives in each {@link Verifier} and its store.
 */
@ProviderType
public interface TrustService {

    /**
     * Opens the trusted state of a repository. If {@code store} already holds a root, that root
     * (verified when it was saved; later roots chain from it) is the base of trust and
     * {@code anchor} is not consulted; otherwise the first root fetched must match
     * {@code anchor}, checked at the first {@link Verifier#refresh}. Switching to another
     * publisher therefore means clearing the store, an explicit act.
     *
     * @param anchor what to trust before any root; never {@code null}
     * @param store durable storage of this repository's trusted metadata; never {@code null}
     * @return a verifier; never {@code null}
     * @throws TrustException if the stored metadata fails verification (a store tampered with
     *     on disk is not trusted)
     * @throws IOException if the store cannot be read
     */
    Verifier open(TrustAnchor anchor, TrustedMetadataStore store) throws TrustException, IOException;

    /**
     * The publisher-side signer of this implementation.
     *
     * @return never {@code null}
     */
    MetadataPublisher publisher();
}
