package io.patchfleet.trust.api;

import java.io.IOException;
import java.util.List;
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

    /**
     * A hint from the verifier: it is about to ask for these files, in this order. A source that
     * pays a round trip per file (an upstream server) may start fetching them now, so that the
     * verifier's one-at-a-time {@link #fetch} calls find the bytes there; a mirror of 100 kernel
     * roles spent most of its metadata time waiting for one request after the other
     * (BENCHMARKS.md, sync). Only the requests move earlier: every file is still verified when
     * {@link #fetch} returns it, in the verifier's order, and {@link #fetch}'s {@code maxLength}
     * still applies. The verifier may ask for fewer files than announced (a stored copy that is
     * still valid, or a failure that ends the update); a source must bound what it holds ahead.
     *
     * @param fileNames TUF file names, in the order the verifier will ask for them
     * @param maxLength the most bytes any of them may have (each {@link #fetch} may give less)
     * @since 1.1
     */
    default void expect(List<String> fileNames, long maxLength) {
        // a source without round trips to save ignores the hint
    }
}
