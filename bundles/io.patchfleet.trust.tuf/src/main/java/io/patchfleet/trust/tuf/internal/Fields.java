package io.patchfleet.trust.tuf.internal;

import io.patchfleet.trust.api.MalformedMetadataException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Typed, strict access to one parsed JSON object; every error names the file and the field
 * path, e.g. {@code 3.snapshot.json: signed.meta["targets.json"].version: must be an integer}.
 */
final class Fields {
    private static final Pattern EXPIRES = Pattern.compile("\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}Z");
    private static final Pattern HEX = Pattern.compile("([0-9a-f]{2})+");

    final String file;
    final String path;
    final Map<String, Object> map;

    Fields(String file, String path, Map<String, Object> map) {
        this.file = file;
        this.path = path;
        this.map = map;
    }

    static Fields root(String file, Map<String, Object> map) {
        return new Fields(file, "", map);
    }

    MalformedMetadataException error(String key, String message) {
        return Json.malformed(file, where(key) + ": " + message);
    }

    MalformedMetadataException error(String message) {
        return Json.malformed(file, (path.isEmpty() ? "top level" : path) + ": " + message);
    }

    private String where(String key) {
        return path.isEmpty() ? key : path + "." + key;
    }

    boolean has(String key) {
        return map.containsKey(key);
    }

    Object raw(String key) throws MalformedMetadataException {
        Object v = map.get(key);
        if (v == null) {
            throw error(key, "missing");
        }
        return v;
    }

    String string(String key) throws MalformedMetadataException {
        if (raw(key) instanceof String s) {
            return s;
        }
        throw error(key, "must be a string");
    }

    String hex(String key) throws MalformedMetadataException {
        String s = string(key);
        if (!HEX.matcher(s).matches()) {
            throw error(key, "must be lower-case hex");
        }
        return s;
    }

    long integer(String key, long min, long max) throws MalformedMetadataException {
        if (raw(key) instanceof Long l) {
            if (l < min || l > max) {
                throw error(key, "must be in " + min + ".." + max + ", is " + l);
            }
            return l;
        }
        throw error(key, "must be an integer");
    }

    boolean bool(String key) throws MalformedMetadataException {
        if (raw(key) instanceof Boolean b) {
            return b;
        }
        throw error(key, "must be true or false");
    }

    @SuppressWarnings("unchecked")
    Fields object(String key) throws MalformedMetadataException {
        if (raw(key) instanceof Map<?, ?> m) {
            return new Fields(file, where(key), (Map<String, Object>) m);
        }
        throw error(key, "must be an object");
    }

    @SuppressWarnings("unchecked")
    Fields entry(String key) throws MalformedMetadataException {
        if (raw(key) instanceof Map<?, ?> m) {
            return new Fields(file, (path.isEmpty() ? "" : path) + "[\"" + Json.printable(key) + "\"]",
                    (Map<String, Object>) m);
        }
        throw error("[\"" + Json.printable(key) + "\"]", "must be an object");
    }

    List<Object> array(String key) throws MalformedMetadataException {
        if (raw(key) instanceof List<?> l) {
            @SuppressWarnings("unchecked")
            List<Object> list = (List<Object>) l;
            return list;
        }
        throw error(key, "must be an array");
    }

    @SuppressWarnings("unchecked")
    Fields element(String key, int index, Object value) throws MalformedMetadataException {
        if (value instanceof Map<?, ?> m) {
            return new Fields(file, where(key) + "[" + index + "]", (Map<String, Object>) m);
        }
        throw error(key + "[" + index + "]", "must be an object");
    }

    String stringElement(String key, int index, Object value) throws MalformedMetadataException {
        if (value instanceof String s) {
            return s;
        }
        throw error(key + "[" + index + "]", "must be a string");
    }

    Instant instant(String key) throws MalformedMetadataException {
        String s = string(key);
        if (!EXPIRES.matcher(s).matches()) {
            throw error(key, "must be a UTC time like 2030-01-01T00:00:00Z");
        }
        try {
            return Instant.parse(s);
        } catch (DateTimeParseException e) {
            throw error(key, "is not a valid time: " + s);
        }
    }

    /** Rejects keys outside {@code allowed}: used where Patchfleet owns the format. */
    void only(Set<String> allowed) throws MalformedMetadataException {
        for (String k : map.keySet()) {
            if (!allowed.contains(k)) {
                throw error(k, "unknown field");
            }
        }
    }

    static String format(Instant t) {
        return t.truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString();
    }
}
