package io.patchfleet.trust.api;

import java.io.IOException;
import java.util.Optional;
import org.osgi.annotation.versioning.ConsumerType;

/**
 * Where a verifier fetches metadata files from during one update: the server for a client,
 * the upstream for a syncing server, a directory for an offline bundle.
 *
 * <p>Implemented by the caller of {@link Verifier#refresh}. Called from the refreshing thread
 * only. Implementations must bound time (connect and read timeouts, a minimum transfer rate:
 * TUF attack 8) and must stop reading after {@code maxLength} bytes.
 */
@ConsumerType
public interface MetadataSource {

    /**
     * Fetches one metadata file.
     *
     * @param fileName the TUF file name, e.g. {@code 8.root.json}, {@code timestamp.json}
     * @param maxLength the most bytes to read; a longer file is an error
     * @return the file; empty if the source does not have it (HTTP 404), which for
     *     {@code N+1.root.json} means "no newer root"
     * @throws IOException if it could not be fetched (network, timeout, longer than {@code maxLength})
     */
    Optional<MetadataFile> fetch(String fileName, long maxLength) throws IOException;
}
