package io.patchfleet.model;

import java.util.Comparator;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The upstream version {@code major.minor.patch} of a kernel release, ordered numerically
 * ({@code 5.4.0 < 5.15.0}); used for filters such as "minimum kernel version" in sync.
 *
 * @param major at least 0
 * @param minor at least 0
 * @param patch at least 0; 0 when the release has no third number
 */
public record KernelVersion(int major, int minor, int patch) implements Comparable<KernelVersion> {
    private static final Pattern LEADING = Pattern.compile("(\\d{1,9})\\.(\\d{1,9})(?:\\.(\\d{1,9}))?.*");
    private static final Comparator<KernelVersion> ORDER = Comparator.comparingInt(KernelVersion::major)
            .thenComparingInt(KernelVersion::minor)
            .thenComparingInt(KernelVersion::patch);

    public KernelVersion {
        if (major < 0 || minor < 0 || patch < 0) {
            throw new IllegalArgumentException("kernel version numbers must not be negative");
        }
    }

    /**
     * The version at the start of a kernel release: {@code 5.15.0-91-generic} → 5.15.0,
     * {@code 6.6} → 6.6.0.
     *
     * @throws IllegalArgumentException if {@code release} is not a kernel release
     */
    public static KernelVersion ofRelease(String release) {
        KernelId.checkRelease(release);
        Matcher m = LEADING.matcher(release);
        if (!m.matches()) {
            throw new IllegalArgumentException("kernel release version out of range: \"" + release + "\"");
        }
        return new KernelVersion(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)),
                m.group(3) == null ? 0 : Integer.parseInt(m.group(3)));
    }

    /** Parses {@code major.minor[.patch]} with nothing after it. */
    public static KernelVersion parse(String version) {
        Objects.requireNonNull(version, "kernel version");
        if (!version.matches("\\d{1,9}\\.\\d{1,9}(\\.\\d{1,9})?")) {
            throw new IllegalArgumentException("invalid kernel version: \"" + Wire.printable(version) + "\"");
        }
        return ofRelease(version);
    }

    @Override
    public int compareTo(KernelVersion other) {
        return ORDER.compare(this, other);
    }

    @Override
    public String toString() {
        return major + "." + minor + "." + patch;
    }
}
