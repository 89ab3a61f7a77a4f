package io.patchfleet.trust.api;

import java.util.Arrays;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * One metadata file, byte for byte: servers mirror publisher metadata verbatim, so the bytes,
 * not a parsed form, are what travels and is stored. Immutable: the bytes are copied in and out.
 *
 * @param name the TUF file name, e.g. {@code timestamp.json}, {@code 7.root.json},
 *     {@code 12.targets.json}: {@code [A-Za-z0-9._-]}, 1–255 characters, ending in
 *     {@code .json}, not starting with a dot
 * @param content the bytes; never {@code null}
 */
public record MetadataFile(String name, byte[] content) {
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_-][A-Za-z0-9._-]{0,249}\\.json");

    public MetadataFile {
        Objects.requireNonNull(name, "metadata file name");
        Objects.requireNonNull(content, "metadata content");
        if (!NAME.matcher(name).matches() || name.contains("..")) {
            throw new IllegalArgumentException("invalid metadata file name: \"" + name.replaceAll("\\p{Cntrl}", "?") + "\"");
        }
        content = content.clone();
    }

    /** A copy of the bytes. */
    @Override
    public byte[] content() {
        return content.clone();
    }

    /** Number of bytes. */
    public int length() {
        return content.length;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof MetadataFile f && name.equals(f.name) && Arrays.equals(content, f.content);
    }

    @Override
    public int hashCode() {
        return 31 * name.hashCode() + Arrays.hashCode(content);
    }

    @Override
    public String toString() {
        return "MetadataFile[" + name + ", " + content.length + " bytes]";
    }
}
