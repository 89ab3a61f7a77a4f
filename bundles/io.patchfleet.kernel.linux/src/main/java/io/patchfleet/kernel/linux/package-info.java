/**
 * The Linux kernel applier: {@link io.patchfleet.kernel.linux.LinuxApplier} implements
 * {@link io.patchfleet.kernel.api.KernelApplier} over a sysfs/procfs root folder and three
 * system calls ({@link io.patchfleet.kernel.linux.KernelCalls}). On a real machine the root is
 * {@code /} and the calls go through JNA; the simulated kernel
 * ({@code io.patchfleet.kernel.simulated}) supplies a folder and its own calls, so that both run
 * the same applier code.
 *
 * <p>Exported only for the simulated kernel and tests; the client uses the
 * {@code KernelApplier} service (property {@code kernel=linux}).
 */
@Export
@Version("1.0.0")
package io.patchfleet.kernel.linux;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
