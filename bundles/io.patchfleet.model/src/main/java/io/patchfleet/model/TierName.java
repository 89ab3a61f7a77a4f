package io.patchfleet.model;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * The name of a rollout tier, e.g. {@code edge}, {@code stable}: 1–63 characters of
 * {@code [a-z0-9-]}, starting with a letter or digit (it appears in URLs and configuration).
 *
 * @param value the name; never {@code null}
 */
public record TierName(String value) {
    private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9-]{0,62}");

    public TierName {
        Objects.requireNonNull(value, "tier name");
        if (!NAME.matcher(value).matches()) {
            throw new IllegalArgumentException("invalid tier name: \"" + Wire.printable(value) + "\"");
        }
    }

    public static TierName of(String value) {
        return new TierName(value);
    }

    @Override
    public String toString() {
        return value;
    }
}
