/**
 * {@code patchfleet publisher …}: the patch publisher's tool for a TUF repository folder (keys,
 * root, adding livepatch modules, revocation, re-signing, key rotation, verification, status).
 * Runs on the launcher's class path, outside the OSGi framework, on the TUF library
 * ({@code io.patchfleet.trust.tuf}).
 */
@Export
@Version("1.0.0")
package io.patchfleet.cli.publisher;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
