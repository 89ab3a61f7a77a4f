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
 * {@code timestamp.json}, {@code N.snapshot.json}, {@code N.targets.json} (consistent
 * snapshots), and {@code N.<role>.json} for delegated targets roles.
 *
 * <p><b>Delegations.</b> Patches are listed by delegated targets roles, so that a client
 * downloads the metadata of its own kernel only: {@link io.patchfleet.trust.api.Verifier#refresh}
 * updates root, timestamp, snapshot and top-level targets;
 * {@link io.patchfleet.trust.api.Verifier#targetsFor} then fetches and verifies the one role of
 * the machine's kernel ({@link io.patchfleet.trust.api.DelegatedTargets}). Stores may keep
 * delegated role files ({@link io.patchfleet.trust.api.TrustedMetadataStore#saveDelegated}).
 *
 * <p><b>Directives.</b> An on-prem server tells a machine which patch to run with a
 * {@link io.patchfleet.trust.api.Directive} signed by its own key. The client acts on it only
 * after {@link io.patchfleet.trust.api.TrustService#verifyDirective}, which requires that the
 * directive names exactly a publisher-verified target of the machine's kernel: a server can
 * withhold patches, never choose bytes the publisher did not sign.
 *
 * <p>{@link io.patchfleet.trust.api.TrustKey#publicKey()} holds the TUF {@code keyval.public}
 * value verbatim (hex for Ed25519, PEM for ECDSA), so keys made by standard TUF tooling fit.
 */
@Export
@Version("1.1.0")
package io.patchfleet.trust.api;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
