package io.patchfleet.trust.api;

import io.patchfleet.model.MachineId;
import java.io.IOException;
import java.time.Instant;
import java.util.Map;
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
     * @throws TrustException if the stored root fails verification (a store tampered with on
     *     disk is not trusted); stored timestamp, snapshot and targets files that no longer
     *     verify against the stored root (its keys rotated, or the files were altered) are
     *     ignored and fetched again at the next refresh
     * @throws IOException if the store cannot be read
     */
    Verifier open(TrustAnchor anchor, TrustedMetadataStore store) throws TrustException, IOException;

    /**
     * The publisher-side signer of this implementation.
     *
     * @return never {@code null}
     */
    MetadataPublisher publisher();

    /**
     * Signs a directive with the on-prem server's directive key (server side).
     *
     * @return the directive file bytes, {@code {"signed": ..., "signatures": [...]}}
     * @throws TrustException {@link TrustException.Reason#SIGNING_FAILED} if the key fails
     */
    byte[] signDirective(Directive directive, SigningKey key) throws TrustException;

    /**
     * Verifies a directive on the client: Uptane full verification. Accepts it only if it is
     * well formed, signed by {@code directiveKey}, for {@code machine}, unexpired at
     * {@code now}, has a counter above {@code lastAcceptedCounter}, and names a target whose
     * name, length and every hash equal an unrevoked target in {@code publisherTargets}.
     *
     * @param signedDirective the directive file bytes as received
     * @param directiveKey the server key pinned at enrollment
     * @param machine this machine
     * @param lastAcceptedCounter the counter of the last directive acted on; 0 if none
     * @param publisherTargets the verified targets of this machine's kernel
     *     ({@link DelegatedTargets#targets()}); empty if the publisher has none
     * @param now the time of the check
     * @throws TrustException {@link MalformedMetadataException}; {@link SignatureException}
     *     (not signed by the directive key); {@link ExpiredMetadataException};
     *     {@link RollbackException} (replayed: counter not above the last accepted);
     *     {@link TrustException.Reason#WRONG_MACHINE}; {@link TargetMismatchException} (the
     *     publisher does not list the target, lists it with another length or hash, or revoked it)
     */
    VerifiedDirective verifyDirective(byte[] signedDirective, TrustKey directiveKey, MachineId machine,
            long lastAcceptedCounter, Map<String, VerifiedTarget> publisherTargets, Instant now) throws TrustException;
}
