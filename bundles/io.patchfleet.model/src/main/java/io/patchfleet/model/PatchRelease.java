package io.patchfleet.model;

import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * One published livepatch for one kernel. Its identity is ({@link #kernel}, {@link #version});
 * everything else is fixed at publication except {@link #revoked}.
 *
 * <p>Patches are cumulative: a release with a higher version for the same kernel contains the
 * fixes of every release it {@link #supersedes} and replaces them atomically when applied.
 *
 * @param kernel the exact kernel the module was built for; never {@code null}
 * @param version the patch version, at least 1, strictly increasing per kernel in publication
 *     order (a higher version is always the newer patch)
 * @param moduleName the livepatch name, which is the kernel module name and the directory
 *     under {@code /sys/kernel/livepatch/}: 1–55 characters of {@code [A-Za-z0-9_]} (the kernel
 *     turns dashes into underscores, so dashes are rejected to keep one spelling)
 * @param targetName the TUF target path of the module file: relative, segments of
 *     {@code [A-Za-z0-9._+-]} separated by {@code /}, no {@code .} or {@code ..} segment, at
 *     most 255 characters
 * @param sha256 the SHA-256 of the module file; never {@code null}
 * @param length the module file's length in bytes, 1 to {@value #MAX_LENGTH}
 * @param cves the vulnerabilities fixed, copied, unmodifiable, no duplicates by id; empty when none
 * @param description a human readable summary, at most 4096 characters; empty when none
 * @param publishedAt when the publisher published it; never {@code null}
 * @param supersedes the highest earlier version this release replaces (all versions up to it
 *     for the same kernel); 0 when it replaces none; {@code 0 <= supersedes < version}
 * @param revoked whether the publisher withdrew it: a revoked release is never offered and a
 *     machine running it is told to revert
 */
public record PatchRelease(KernelId kernel, long version, String moduleName, String targetName, Sha256 sha256,
        long length, List<Cve> cves, String description, Instant publishedAt, long supersedes, boolean revoked) {
    /** Largest module accepted: 64 MiB (livepatch modules are a few hundred KiB). */
    public static final long MAX_LENGTH = 64L * 1024 * 1024;

    private static final Pattern MODULE = Pattern.compile("[A-Za-z0-9_]{1,55}");
    private static final Pattern SEGMENT = Pattern.compile("[A-Za-z0-9._+-]+");

    public PatchRelease {
        Objects.requireNonNull(kernel, "release kernel");
        Objects.requireNonNull(moduleName, "release moduleName");
        Objects.requireNonNull(targetName, "release targetName");
        Objects.requireNonNull(sha256, "release sha256");
        Objects.requireNonNull(cves, "release cves");
        Objects.requireNonNull(description, "release description");
        Objects.requireNonNull(publishedAt, "release publishedAt");
        if (version < 1) {
            throw new IllegalArgumentException("patch version must be at least 1: " + version);
        }
        if (!MODULE.matcher(moduleName).matches()) {
            throw new IllegalArgumentException("invalid livepatch module name: \"" + Wire.printable(moduleName) + "\"");
        }
        checkTargetName(targetName);
        if (length < 1 || length > MAX_LENGTH) {
            throw new IllegalArgumentException("module length out of range 1.." + MAX_LENGTH + ": " + length);
        }
        cves = List.copyOf(cves);
        if (cves.stream().map(Cve::id).distinct().count() != cves.size()) {
            throw new IllegalArgumentException("duplicate CVE id in release " + version);
        }
        if (description.length() > 4096) {
            throw new IllegalArgumentException("release description longer than 4096 characters");
        }
        if (supersedes < 0 || supersedes >= version) {
            throw new IllegalArgumentException("supersedes must be in 0.." + (version - 1) + ": " + supersedes);
        }
    }

    /**
     * Checks a TUF target path.
     *
     * @return {@code name}
     * @throws IllegalArgumentException if it is absolute, has an empty, {@code .} or {@code ..}
     *     segment, a character outside {@code [A-Za-z0-9._+-/]}, or more than 255 characters
     */
    public static String checkTargetName(String name) {
        Objects.requireNonNull(name, "target name");
        if (name.isEmpty() || name.length() > 255) {
            throw new IllegalArgumentException("target name must be 1..255 characters");
        }
        for (String segment : name.split("/", -1)) {
            if (!SEGMENT.matcher(segment).matches() || segment.equals(".") || segment.equals("..")) {
                throw new IllegalArgumentException("invalid target name: \"" + Wire.printable(name) + "\"");
            }
        }
        return name;
    }

    /** This release with {@link #revoked} set to {@code revoked}. */
    public PatchRelease withRevoked(boolean revoked) {
        return new PatchRelease(kernel, version, moduleName, targetName, sha256, length, cves, description,
                publishedAt, supersedes, revoked);
    }

    /** The most severe CVE this release fixes; {@link Severity#UNKNOWN} when it lists none. */
    public Severity highestSeverity() {
        return cves.stream().map(Cve::severity).max(Enum::compareTo).orElse(Severity.UNKNOWN);
    }
}
