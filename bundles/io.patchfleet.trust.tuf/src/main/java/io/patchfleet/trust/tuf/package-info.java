/**
 * Patchfleet's TUF 1.0 implementation, for code that works with repositories directly: the
 * publisher command, tests and benchmarks. Clients and servers use the trust API service
 * ({@link io.patchfleet.trust.api.TrustService}), registered by this bundle.
 *
 * <ul>
 * <li>{@link io.patchfleet.trust.tuf.Tuf}: a {@code TrustService} outside OSGi, with
 *     {@link io.patchfleet.trust.tuf.TufLimits}.</li>
 * <li>{@link io.patchfleet.trust.tuf.KernelRoles}: the delegation scheme, one delegated
 *     targets role per kernel series, and the target names it requires.</li>
 * <li>{@link io.patchfleet.trust.tuf.LocalSigningKey} and {@link io.patchfleet.trust.tuf.KeyFiles}:
 *     Ed25519 / ECDSA P-256 keys in memory, in passphrase-encrypted or plain key files.</li>
 * <li>{@link io.patchfleet.trust.tuf.RepositoryDirectory}: a repository folder, as the
 *     publisher's store and as a metadata source for verification.</li>
 * <li>{@link io.patchfleet.trust.tuf.TargetVerification}: streaming length and hash checks of
 *     target bytes.</li>
 * </ul>
 */
@Export
@Version("1.1.0")
package io.patchfleet.trust.tuf;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
