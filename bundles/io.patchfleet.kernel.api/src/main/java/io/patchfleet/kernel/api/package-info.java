/**
 * The kernel applier: loads, watches and removes livepatch modules in the running kernel
 * (DESIGN §6). Implemented by {@code io.patchfleet.kernel.linux} (JNA and sysfs) and
 * {@code io.patchfleet.kernel.simulated} (the same sysfs shape in a directory, for tests).
 *
 * <p>The applier does what it is told on the kernel and reports what happened; it does not
 * decide whether a patch is trustworthy or wanted. The client verifies the module against
 * signed metadata and the directive, and checks the kernel match, before calling it.
 */
@Export
@Version("1.0.0")
package io.patchfleet.kernel.api;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
