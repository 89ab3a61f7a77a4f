package io.patchfleet.trust.api;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.osgi.annotation.versioning.ProviderType;

/**
 * The publisher side: writes and signs TUF metadata for a repository whose current files are
 * in a {@link TrustedMetadataStore}. Thread-safe; calls on one repository must not overlap
 * (the publisher command runs one at a time).
 *
 * <p>Writes are ordered so that readers never see a torn state: targets, then snapshot, then
 * timestamp (and a new root before any of them). If signing fails, nothing is saved.
 */
@ProviderType
public interface MetadataPublisher {

    /**
     * Applies {@code request} to the repository's targets and re-signs what changed (see
     * {@link PublishRequest}), then snapshot and timestamp. Each patch goes to the delegated
     * role of its kernel; the repository must keep delegated roles
     * ({@link TrustedMetadataStore#loadDelegated}).
     *
     * @param keys signing keys by role; must meet the thresholds of the current root for each
     *     role re-signed: snapshot and timestamp always, targets when the top-level targets or a
     *     delegated role changes (delegated roles are signed by the targets keys)
     * @param now the publication time (expiries are computed from it)
     * @return the new files in the order they were saved; never {@code null}
     * @throws TrustException {@link TrustException.Reason#SIGNING_FAILED} if keys are missing
     *     or fail; {@link MalformedMetadataException} if the stored metadata is unusable
     * @throws IllegalArgumentException if the request conflicts with what is published: a
     *     target outside its kernel's role paths, a listed target republished with other bytes
     *     or version, a patch version not above the kernel's highest, removal of an unlisted target
     * @throws java.io.IOException if the repository store fails
     */
    List<MetadataFile> publish(TrustedMetadataStore repository, PublishRequest request,
            Map<RoleName, List<SigningKey>> keys, Instant now) throws TrustException, java.io.IOException;

    /**
     * Writes root version N+1 (or version 1 for a new repository) with the given keys and
     * thresholds, signed by a threshold of the previous root's root keys and of the new root
     * keys, as TUF key rotation requires.
     *
     * @param roles the keys and threshold of every top-level role
     * @param keys the public keys referenced by {@code roles}
     * @param previousRootKeys keys meeting the previous root's root threshold; empty for version 1
     * @param newRootKeys keys meeting the new root threshold
     * @param expires expiry of the new root
     * @return the new root file, also saved to the repository as {@code N.root.json}
     * @throws TrustException {@link TrustException.Reason#SIGNING_FAILED} if thresholds cannot
     *     be met
     * @throws java.io.IOException if the repository store fails
     */
    MetadataFile rotateRoot(TrustedMetadataStore repository, Map<RoleName, RoleKeys> roles, List<TrustKey> keys,
            List<SigningKey> previousRootKeys, List<SigningKey> newRootKeys, Instant expires)
            throws TrustException, java.io.IOException;
}
