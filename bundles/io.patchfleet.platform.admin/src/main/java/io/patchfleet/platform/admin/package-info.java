/**
 * Runtime management of a running Patchfleet (server or client): the bundles it runs, their
 * configuration, signed plugins, and transactional updates that roll back on failure.
 *
 * <p>{@link io.patchfleet.platform.admin.PluginManager} is the one service that changes the
 * running machinery; the server's admin API, the client's control socket and the deploy folder
 * all go through it, so every path gets the same signature checks, metatype validation,
 * rollback and change records. {@link io.patchfleet.platform.admin.PluginSignature} is the
 * detached signature format (Ed25519 over the whole jar) shared with the signing command.
 */
@Export
@Version("1.0.0")
package io.patchfleet.platform.admin;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
