package io.patchfleet.trust.api;

import java.io.IOException;
import java.util.Optional;
import org.osgi.annotation.versioning.ConsumerType;

/**
 * Durable storage of the trusted metadata of one repository, so that rollback protection
 * survives restarts. Implemented by the caller (a directory on the client, the database on a
 * server) and handed to {@link TrustService#open}.
 *
 * <p>A verifier calls it from one thread at a time. {@link #save} must be atomic and durable
 * (temp file, fsync, rename, or a transaction): after a crash, the store holds either the old
 * or the new file, never a mix.
 */
@ConsumerType
public interface TrustedMetadataStore {

    /**
     * The last saved file of a role.
     *
     * @return empty if none was ever saved
     * @throws IOException if the store cannot be read
     */
    Optional<MetadataFile> load(RoleName role) throws IOException;

    /**
     * Replaces the file of a role, atomically and durably.
     *
     * @throws IOException if it could not be saved; the previous file is then still in place
     */
    void save(RoleName role, MetadataFile file) throws IOException;

    /**
     * The last saved file of a delegated targets role. Stores that do not keep delegated roles
     * keep this default: the verifier then downloads a kernel's role on every lookup instead of
     * reusing an unchanged one. A publisher repository must implement it.
     *
     * @param role a delegated role name ({@link DelegatedTargets#checkRoleName})
     * @return empty if none was saved
     * @throws IOException if the store cannot be read
     */
    default Optional<MetadataFile> loadDelegated(String role) throws IOException {
        return Optional.empty();
    }

    /**
     * Replaces the file of a delegated targets role, atomically and durably. The default keeps
     * nothing (see {@link #loadDelegated}).
     *
     * @throws IOException if it could not be saved; the previous file is then still in place
     */
    default void saveDelegated(String role, MetadataFile file) throws IOException {
        DelegatedTargets.checkRoleName(role);
    }
}
