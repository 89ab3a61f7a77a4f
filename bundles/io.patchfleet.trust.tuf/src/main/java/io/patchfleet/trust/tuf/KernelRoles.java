package io.patchfleet.trust.tuf;

import io.patchfleet.model.KernelId;
import io.patchfleet.model.PatchRelease;
import java.util.Objects;

/**
 * The delegation scheme: the top-level targets role delegates one targets role per kernel
 * series, a series being the kernel release and architecture ({@code 5.15.0-91-generic} on
 * {@code x86_64}). The role is named {@code kernel-<release>-<arch>} and is trusted for the
 * target paths {@code <release>/<arch>/*} only, so patch targets must be named
 * {@link #targetName}.
 *
 * <p>Why a role per series rather than hashed bins: a machine runs exactly one series and a
 * livepatch loads only into it, so its role file holds exactly what the machine can use, and a
 * publication for one kernel changes one role, so clients of every other kernel download only
 * the (small) new snapshot and timestamp. With hashed bins a bin mixes unrelated kernels,
 * making clients download and re-download their neighbours' patches. The cost is a top-level
 * targets file that grows with the number of series (about 250 bytes each), downloaded only
 * when a series is added. Release strings never contain glob characters, so the delegated path
 * pattern is exact.
 */
public final class KernelRoles {
    private KernelRoles() {}

    /** The delegated role of a kernel's series: {@code kernel-<release>-<arch>}. */
    public static String roleFor(KernelId kernel) {
        Objects.requireNonNull(kernel, "kernel");
        return "kernel-" + kernel.release() + "-" + kernel.architecture();
    }

    /** The target path pattern delegated to the kernel's role: {@code <release>/<arch>/*}. */
    public static String pathPattern(KernelId kernel) {
        return prefix(kernel) + "*";
    }

    /**
     * The target name of a file of this kernel: {@code <release>/<arch>/<fileName>}, e.g.
     * {@code 5.15.0-91-generic/x86_64/lkp_5_15_0_91_3.ko}.
     *
     * @param fileName one path segment of {@code [A-Za-z0-9._+-]}
     * @throws IllegalArgumentException if the resulting name is not a valid target name
     */
    public static String targetName(KernelId kernel, String fileName) {
        Objects.requireNonNull(fileName, "file name");
        if (fileName.contains("/")) {
            throw new IllegalArgumentException("file name must be one path segment: " + fileName);
        }
        return PatchRelease.checkTargetName(prefix(kernel) + fileName);
    }

    /** Whether a patch's target name lies inside its kernel's role. */
    public static boolean isInRole(PatchRelease patch) {
        String name = patch.targetName();
        String prefix = prefix(patch.kernel());
        return name.startsWith(prefix) && name.indexOf('/', prefix.length()) < 0;
    }

    private static String prefix(KernelId kernel) {
        Objects.requireNonNull(kernel, "kernel");
        return kernel.release() + "/" + kernel.architecture() + "/";
    }
}
