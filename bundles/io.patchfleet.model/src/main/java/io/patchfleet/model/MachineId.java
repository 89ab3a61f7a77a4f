package io.patchfleet.model;

import java.util.Objects;

/**
 * The identity of an enrolled machine, normally its {@code /etc/machine-id} (32 lower-case hex
 * characters). Accepted are 1–128 characters of {@code [a-z0-9_-]} starting with a letter or
 * digit: the id ends up in file names, URLs and log lines, so dots, slashes, upper case,
 * whitespace and control characters are rejected (no {@code ../x}, no case-folding twins).
 *
 * @param value the id; never {@code null}
 */
public record MachineId(String value) {
    public MachineId {
        Objects.requireNonNull(value, "machine id");
        if (!Chars.machineId(value)) {
            throw new IllegalArgumentException("invalid machine id: \"" + Wire.printable(value) + "\"");
        }
    }

    public static MachineId of(String value) {
        return new MachineId(value);
    }

    @Override
    public String toString() {
        return value;
    }
}
