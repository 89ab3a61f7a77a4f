package io.patchfleet.trust.tuf.internal;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * Canonical JSON as OLPC defines it and securesystemslib implements it: what TUF signs and
 * hashes into key ids. Object keys sorted by Unicode code point, no whitespace, strings
 * escaping only {@code \} and {@code "} (everything else, control characters and non-ASCII
 * included, is written as raw UTF-8), integers only, {@code true}, {@code false}, {@code null}.
 *
 * <p>Accepts the values {@link Json} produces ({@code Map<String, ?>}, {@code List<?>},
 * {@code String}, {@code Long}/{@code Integer}, {@code Boolean}, {@link Json#NULL}).
 */
public final class CanonicalJson {
    private CanonicalJson() {}

    /** The canonical bytes of {@code value}: what is signed and hashed. */
    public static byte[] encode(Object value) {
        Bytes out = new Bytes(256);
        write(value, out, false);
        return out.toByteArray();
    }

    /**
     * The bytes of a file holding {@code value}: the canonical form, except that control
     * characters in strings are escaped as JSON \\u escapes, because canonical JSON writes them raw
     * (ECDSA PEM keys hold line feeds) and standard JSON parsers, this one included, refuse raw
     * control characters. Parsing the file gives the same values, so signatures still verify.
     */
    public static byte[] encodeFile(Object value) {
        Bytes out = new Bytes(256);
        write(value, out, true);
        return out.toByteArray();
    }

    /**
     * A growing byte array without {@link java.io.ByteArrayOutputStream}'s lock on every write: a sync
     * verifying 100 roles wrote ~500,000 single bytes through it, each a monitor enter and exit
     * (BENCHMARKS.md, sync).
     */
    static final class Bytes {
        private byte[] buf;
        private int count;

        Bytes(int capacity) {
            buf = new byte[capacity];
        }

        private void ensure(int more) {
            if (count + more > buf.length) {
                buf = java.util.Arrays.copyOf(buf, Math.max(buf.length * 2, count + more));
            }
        }

        void write(int b) {
            ensure(1);
            buf[count++] = (byte) b;
        }

        void write(byte[] b, int off, int len) {
            ensure(len);
            System.arraycopy(b, off, buf, count, len);
            count += len;
        }

        void writeAscii(String s) {
            ensure(s.length());
            for (int i = 0; i < s.length(); i++) {
                buf[count++] = (byte) s.charAt(i);
            }
        }

        byte[] toByteArray() {
            return java.util.Arrays.copyOf(buf, count);
        }
    }

    /*
     * Small methods on purpose: one method holding every case (and the key sort) compiled to 60 KB
     * of machine code in 2 s of C2 time during a sync that verified 100 roles (BENCHMARKS.md, sync).
     */
    private static void write(Object value, Bytes out, boolean file) {
        if (value instanceof Map<?, ?> map) {
            writeMap(map, out, file);
        } else if (value instanceof List<?> list) {
            writeList(list, out, file);
        } else if (value instanceof String s) {
            writeString(s, out, file);
        } else {
            writeScalar(value, out);
        }
    }

    private static void writeMap(Map<?, ?> map, Bytes out, boolean file) {
        String[] keys = sortedKeys(map);
        out.write('{');
        for (int i = 0; i < keys.length; i++) {
            if (i > 0) {
                out.write(',');
            }
            writeString(keys[i], out, file);
            out.write(':');
            write(map.get(keys[i]), out, file);
        }
        out.write('}');
    }

    /** The keys in code point order; metadata read from canonical files has them so already (no sort then). */
    private static String[] sortedKeys(Map<?, ?> map) {
        String[] keys = new String[map.size()];
        int n = 0;
        boolean sorted = true;
        for (Object k : map.keySet()) {
            keys[n] = (String) k;
            if (n > 0 && sorted && compareCodePoints(keys[n - 1], keys[n]) > 0) {
                sorted = false;
            }
            n++;
        }
        if (!sorted) {
            java.util.Arrays.sort(keys, CanonicalJson::compareCodePoints);
        }
        return keys;
    }

    private static void writeList(List<?> list, Bytes out, boolean file) {
        out.write('[');
        for (int i = 0; i < list.size(); i++) {
            if (i > 0) {
                out.write(',');
            }
            write(list.get(i), out, file);
        }
        out.write(']');
    }

    private static void writeScalar(Object value, Bytes out) {
        if (value instanceof Long || value instanceof Integer) {
            out.writeAscii(value.toString());
        } else if (value instanceof Boolean b) {
            out.writeAscii(b ? "true" : "false");
        } else if (value == Json.NULL) {
            out.writeAscii("null");
        } else {
            throw new IllegalArgumentException("not representable in canonical JSON: "
                    + (value == null ? "Java null" : value.getClass().getName()));
        }
    }

    private static void writeString(String s, Bytes out, boolean file) {
        out.write('"');
        byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
        int from = 0; // bytes before 'from' are written; runs without anything to escape go in one copy
        for (int i = 0; i < utf8.length; i++) {
            byte b = utf8[i];
            if (b == '"' || b == '\\') {
                out.write(utf8, from, i - from);
                out.write('\\');
                from = i; // the quote or backslash itself goes with the next run
            } else if (file && b >= 0 && b < 0x20) {
                out.write(utf8, from, i - from);
                out.writeAscii(String.format("\\u%04x", b));
                from = i + 1;
            }
        }
        out.write(utf8, from, utf8.length - from);
        out.write('"');
    }

    /** Orders strings by Unicode code point, as Python sorts {@code str} keys. */
    static int compareCodePoints(String a, String b) {
        int i = 0;
        int j = 0;
        while (i < a.length() && j < b.length()) {
            int ca = a.codePointAt(i);
            int cb = b.codePointAt(j);
            if (ca != cb) {
                return Integer.compare(ca, cb);
            }
            i += Character.charCount(ca);
            j += Character.charCount(cb);
        }
        return Integer.compare(a.length() - i, b.length() - j);
    }
}
