/**
 * Trust in patch metadata: TUF 1.0 shaped verification on the client and server, and signing
 * on the publisher side, without naming an implementation (the default is
 * {@code io.patchfleet.trust.tuf}, Ed25519 through BouncyCastle).
 *
 * <p>The split of failures is deliberate: {@link io.patchfleet.trust.api.TrustException} means
 * "the data is not trustworthy" (bad signature, expired, rolled back, wrong bytes) and is never
 * retried against the same data; {@link java.io.IOException} means "the data could not be
 * fetched or stored" (network, timeout, disk) and may be retried. Neither leaves partially
 * verified state behind: the trusted state changes only after a complete, successful update.
 *
 * <p>Metadata file names follow TUF: {@code root.json}, {@code N.root.json},
 * {@code timestamp.json}, {@code N.snapshot.json}, {@code N.targets.json} (consistent snapshots).
 */
@Export
@Version("1.0.0")
package io.patchfleet.trust.api;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
