/**
 * The {@code patchfleet} command line: verbs that talk to a local client daemon over its control
 * socket, and the data-directory rules shared with the launcher. Used on the launcher's class
 * path, outside the OSGi framework, so that a CLI call starts in a fraction of a second.
 */
@Export
@Version("1.0.0")
package io.patchfleet.cli;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
