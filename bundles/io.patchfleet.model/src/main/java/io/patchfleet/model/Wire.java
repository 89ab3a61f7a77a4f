package io.patchfleet.model;

import java.util.Objects;
import java.util.function.Function;

/** Lookup of an enum constant by its wire name; shared by the wire enums of this package. */
final class Wire {
    private Wire() {}

    static <E extends Enum<E>> E fromWire(Class<E> type, Function<E, String> wireName, String value) {
        Objects.requireNonNull(value, () -> type.getSimpleName() + " wire name");
        for (E e : type.getEnumConstants()) {
            if (wireName.apply(e).equals(value)) {
                return e;
            }
        }
        throw new IllegalArgumentException("unknown " + type.getSimpleName() + " wire name: \"" + printable(value) + "\"");
    }

    /** A value safe to put into an error message: bounded and without control characters. */
    static String printable(String value) {
        String cut = value.length() > 80 ? value.substring(0, 80) + "…" : value;
        return cut.replaceAll("\\p{Cntrl}", "?");
    }
}
