/**
 * A simulated kernel: {@link io.patchfleet.kernel.simulated.SimulatedKernel} keeps the livepatch
 * sysfs and procfs layout in a folder and answers the module system calls, so that the real
 * {@link io.patchfleet.kernel.linux.LinuxApplier} runs unchanged against it — for tests, the
 * demo and fleet simulation. {@link io.patchfleet.kernel.simulated.SimulatedModules} writes
 * module files it accepts. The service ({@code kernel=simulated}) is configured under the PID
 * {@code io.patchfleet.kernel.simulated}.
 */
@Export
@Version("1.0.0")
package io.patchfleet.kernel.simulated;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
