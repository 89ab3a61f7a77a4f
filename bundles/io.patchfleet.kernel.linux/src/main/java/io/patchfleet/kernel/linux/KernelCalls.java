package io.patchfleet.kernel.linux;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Objects;
import org.osgi.annotation.versioning.ConsumerType;

/**
 * The system calls the {@link LinuxApplier} needs; everything else it reads and writes as files
 * under its sysfs/procfs root. Implemented over JNA for the running kernel and by the simulated
 * kernel over a folder.
 *
 * <p>Failures of the kernel come back as errno values ({@link Errno}), as the system calls give
 * them, so that one mapping to reasons serves both implementations. Implementations must be safe
 * to call from any thread.
 */
@ConsumerType
public interface KernelCalls {

    /** {@code O_NONBLOCK} for {@link #deleteModule}: fail with EAGAIN instead of waiting for users. */
    int O_NONBLOCK = 0x800;

    /**
     * {@code uname(2)}.
     *
     * @throws IOException if the call cannot be made (for JNA: the native library cannot load)
     */
    Uname uname() throws IOException;

    /**
     * {@code finit_module(fd, params, flags)} with {@code fd} open for reading on {@code module}.
     *
     * @param module the module file
     * @param params module parameters, usually empty
     * @param flags {@code MODULE_INIT_*} flags, usually 0
     * @return 0 on success, otherwise the errno (positive)
     * @throws IOException if the call cannot be made at all, or the file cannot be opened
     */
    int finitModule(Path module, String params, int flags) throws IOException;

    /**
     * {@code delete_module(name, flags)}.
     *
     * @param flags usually {@link #O_NONBLOCK}
     * @return 0 on success, otherwise the errno (positive)
     * @throws IOException if the call cannot be made at all
     */
    int deleteModule(String name, int flags) throws IOException;

    /**
     * The fields of {@code struct utsname} the applier uses.
     *
     * @param release {@code uname -r}, such as {@code 6.1.0-56-amd64}
     * @param version {@code uname -v}, such as {@code #1 SMP PREEMPT_DYNAMIC Debian 6.1.158-1}
     * @param machine {@code uname -m}, such as {@code x86_64}
     */
    record Uname(String release, String version, String machine) {
        public Uname {
            Objects.requireNonNull(release, "release");
            Objects.requireNonNull(version, "version");
            Objects.requireNonNull(machine, "machine");
        }
    }
}
