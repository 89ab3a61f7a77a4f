package io.patchfleet.model;

import java.time.Instant;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * An enrolled machine as the server knows it: identity, tier and tags. What the machine last
 * reported is a {@link MachineReport}.
 *
 * @param id the machine id; never {@code null}
 * @param tier the tier the machine belongs to; never {@code null}
 * @param tags free labels for rollout policies (e.g. {@code dc=fra1}, {@code role:db}); each
 *     1–64 characters of {@code [a-z0-9._:=-]} starting with a letter or digit; copied,
 *     unmodifiable; empty when none
 * @param enrolledAt when the machine enrolled; never {@code null}
 */
public record Machine(MachineId id, TierName tier, Set<String> tags, Instant enrolledAt) {
    private static final Pattern TAG = Pattern.compile("[a-z0-9][a-z0-9._:=-]{0,63}");

    public Machine {
        Objects.requireNonNull(id, "machine id");
        Objects.requireNonNull(tier, "machine tier");
        Objects.requireNonNull(tags, "machine tags");
        Objects.requireNonNull(enrolledAt, "machine enrolledAt");
        tags = Set.copyOf(tags);
        tags.forEach(Machine::checkTag);
    }

    /**
     * Checks a machine tag.
     *
     * @return {@code tag}
     * @throws IllegalArgumentException if it is not 1–64 characters of {@code [a-z0-9._:=-]}
     *     starting with a letter or digit
     */
    public static String checkTag(String tag) {
        Objects.requireNonNull(tag, "machine tag");
        if (!TAG.matcher(tag).matches()) {
            throw new IllegalArgumentException("invalid machine tag: \"" + Wire.printable(tag) + "\"");
        }
        return tag;
    }
}
