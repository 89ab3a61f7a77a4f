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
}
