package io.patchfleet.model;

import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Identity of a running kernel, as far as a livepatch module cares: a patch module loads only
 * into the exact kernel it was built for.
 *
 * <p>Two kernels are the same kernel when all four fields are equal ({@link #equals}).
 * {@link #build} may be unknown (empty); {@link #matches} then falls back to release,
 * architecture and flavour.
 *
 * @param release the kernel release as {@code uname -r} prints it, e.g. {@code 5.15.0-91-generic}
 *     or {@code 5.14.0-362.8.1.el9_3.x86_64}: starts with {@code major.minor}, at most 64
 *     characters of {@code [A-Za-z0-9._+~-]}; never {@code null}
 * @param architecture the machine architecture as {@code uname -m} prints it, e.g.
 *     {@code x86_64}, {@code aarch64}, {@code s390x}: {@code [a-z0-9_]}, 1–32 characters
 * @param flavour the kernel flavour, e.g. {@code generic}, {@code aws}, {@code amd64}, or the
 *     empty string when the distribution has none (Red Hat style releases); see
 *     {@link #flavourOf(String)}
 * @param build the build identity that tells two builds of one release apart: the kernel
 *     version string ({@code uname -v}, e.g. {@code #101-Ubuntu SMP Tue Nov 14 13:30:08 UTC 2023})
 *     or a vermagic; printable ASCII, at most 256 characters; empty when unknown
 */
public record KernelId(String release, String architecture, String flavour, String build) {
    // Release, architecture, flavour and build are checked by the scans of Chars (the
    // expressions are in its comments): every check-in builds a KernelId.
    /** Ubuntu/Debian style: {@code <version>-<abi>-<flavour>}, the flavour being the letters after the ABI number. */
    private static final Pattern FLAVOUR_SUFFIX = Pattern.compile(".*-\\d+-([a-z][a-z0-9+_-]*)");

    public KernelId {
        Objects.requireNonNull(release, "kernel release");
        Objects.requireNonNull(architecture, "kernel architecture");
        Objects.requireNonNull(flavour, "kernel flavour");
        Objects.requireNonNull(build, "kernel build");
        checkRelease(release);
        if (!Chars.architecture(architecture)) {
            throw new IllegalArgumentException("invalid architecture: \"" + Wire.printable(architecture) + "\"");
        }
        if (!Chars.flavour(flavour)) {
            throw new IllegalArgumentException("invalid kernel flavour: \"" + Wire.printable(flavour) + "\"");
        }
        if (!Chars.printableAscii(build, 256)) {
            throw new IllegalArgumentException("kernel build must be at most 256 printable ASCII characters");
        }
    }

    /**
     * The kernel identity of {@code uname} output, deriving the flavour from the release.
     *
     * @param release {@code uname -r}
     * @param architecture {@code uname -m}
     * @param build {@code uname -v}, or empty when unknown
     * @throws IllegalArgumentException if a field is malformed
     */
    public static KernelId of(String release, String architecture, String build) {
        return new KernelId(release, architecture, flavourOf(release), build);
    }

    /**
     * Checks a kernel release string ({@code uname -r}).
     *
     * @return {@code release}
     * @throws IllegalArgumentException if it is not a kernel release: does not start with
     *     {@code major.minor}, is longer than 64 characters, or holds anything outside
     *     {@code [A-Za-z0-9._+~-]} (no spaces, no slashes: it ends up in file names)
     */
    public static String checkRelease(String release) {
        Objects.requireNonNull(release, "kernel release");
        if (release.length() > 64 || !Chars.release(release)) {
            throw new IllegalArgumentException("invalid kernel release: \"" + Wire.printable(release) + "\"");
        }
        return release;
    }

    /**
     * The flavour encoded in an Ubuntu/Debian style release, {@code 5.15.0-91-generic} →
     * {@code generic}, {@code 6.1.0-13-cloud-amd64} → {@code cloud-amd64}; the empty string when
     * the release has none ({@code 5.14.0-362.8.1.el9_3.x86_64}, {@code 6.6.1}).
     */
    public static String flavourOf(String release) {
        checkRelease(release);
        Matcher m = FLAVOUR_SUFFIX.matcher(release);
        if (!m.matches()) {
            return "";
        }
        String flavour = m.group(1);
        return flavour.length() <= 32 ? flavour : "";
    }

    /** The upstream version of {@link #release}: {@code 5.15.0-91-generic} → 5.15.0. */
    public KernelVersion version() {
        return KernelVersion.ofRelease(release);
    }

    /**
     * Whether a patch built for {@code target} may be loaded into this kernel: release,
     * architecture and flavour equal, and builds equal unless either is unknown.
     */
    public boolean matches(KernelId target) {
        Objects.requireNonNull(target, "target kernel");
        return release.equals(target.release)
                && architecture.equals(target.architecture)
                && flavour.equals(target.flavour)
                && (build.isEmpty() || target.build.isEmpty() || build.equals(target.build));
    }

    @Override
    public String toString() {
        return release + "/" + architecture + (build.isEmpty() ? "" : " (" + build + ")");
    }
}
