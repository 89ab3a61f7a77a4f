package io.patchfleet.model;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A vulnerability a patch fixes.
 *
 * @param id the CVE identifier, {@code CVE-YYYY-NNNN…} (upper case); never {@code null}
 * @param severity how severe it is; {@link Severity#UNKNOWN} when not rated; never {@code null}
 */
public record Cve(String id, Severity severity) {
    private static final Pattern ID = Pattern.compile("CVE-\\d{4}-\\d{4,19}");

    public Cve {
        Objects.requireNonNull(id, "CVE id");
        Objects.requireNonNull(severity, "CVE severity");
        if (!ID.matcher(id).matches()) {
            throw new IllegalArgumentException("invalid CVE id: \"" + Wire.printable(id) + "\"");
        }
    }
}
