package io.patchfleet.trust.tuf.internal;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import io.patchfleet.trust.api.MalformedMetadataException;
import io.patchfleet.trust.api.TrustException.Reason;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Strict JSON reading into plain values, for metadata that is about to be verified: objects
 * become {@code Map<String, Object>} (insertion ordered), arrays {@code List<Object>}, strings
 * {@code String}, integers {@code Long}, booleans {@code Boolean}, null {@link #NULL}.
 *
 * <p>Rejected, each with a message naming the place: input over the size cap, bytes that are
 * not strict UTF-8 (overlong forms, surrogates, a byte order mark), duplicate keys, floats and
 * exponents (canonical JSON has integers only), integers beyond {@code long}, nesting deeper
 * than {@value #MAX_DEPTH}, strings holding unpaired surrogates, a top level that is not an
 * object, and anything after it. Jackson's defaults already refuse comments, single quotes,
 * unquoted names, NaN and leading zeros.
 */
public final class Json {
    /** The JSON {@code null}. */
    public static final Object NULL = new Object() {
        @Override
        public String toString() {
            return "null";
        }
    };

    static final int MAX_DEPTH = 32;

    private static final JsonFactory FACTORY = JsonFactory.builder()
            .disable(JsonFactory.Feature.INTERN_FIELD_NAMES)
            .disable(JsonFactory.Feature.CANONICALIZE_FIELD_NAMES)
            .streamReadConstraints(StreamReadConstraints.builder()
                    .maxNestingDepth(MAX_DEPTH + 1)
                    .maxNumberLength(24)
                    .maxStringLength(1 << 20)
                    .build())
            .build();

    private Json() {}

    /**
     * Parses {@code bytes}, which must hold one JSON object and nothing else.
     *
     * @param what names the input in error messages, e.g. {@code "3.snapshot.json"}
     * @param maxLength the size cap in bytes
     * @throws MalformedMetadataException {@code TOO_LARGE} over the cap, {@code MALFORMED} otherwise
     */
    public static Map<String, Object> parseObject(byte[] bytes, String what, long maxLength)
            throws MalformedMetadataException {
        if (bytes.length > maxLength) {
            throw new MalformedMetadataException(Reason.TOO_LARGE,
                    what + ": " + bytes.length + " bytes exceed the limit of " + maxLength);
        }
        try {
            StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes));
        } catch (CharacterCodingException e) {
            throw malformed(what, "not valid UTF-8");
        }
        if (bytes.length >= 3 && (bytes[0] & 0xff) == 0xef && (bytes[1] & 0xff) == 0xbb && (bytes[2] & 0xff) == 0xbf) {
            throw malformed(what, "starts with a byte order mark");
        }
        try (JsonParser p = FACTORY.createParser(bytes)) {
            JsonToken first = p.nextToken();
            if (first != JsonToken.START_OBJECT) {
                throw malformed(what, "the top level must be a JSON object");
            }
            @SuppressWarnings("unchecked")
            Map<String, Object> result = (Map<String, Object>) read(p, what, 0);
            if (p.nextToken() != null) {
                throw malformed(what, "trailing data after the JSON object");
            }
            return result;
        } catch (JsonProcessingException e) {
            throw new MalformedMetadataException(Reason.MALFORMED, what + ": invalid JSON: " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new MalformedMetadataException(Reason.MALFORMED, what + ": unreadable JSON", e);
        }
    }

    private static Object read(JsonParser p, String what, int depth) throws IOException, MalformedMetadataException {
        if (depth > MAX_DEPTH) {
            throw malformed(what, "nested deeper than " + MAX_DEPTH);
        }
        JsonToken t = p.currentToken();
        switch (t) {
            case START_OBJECT: {
                Map<String, Object> map = new LinkedHashMap<>();
                JsonToken next;
                while ((next = p.nextToken()) == JsonToken.FIELD_NAME) {
                    String key = p.currentName();
                    checkString(key, what);
                    p.nextToken();
                    Object value = read(p, what, depth + 1);
                    if (map.putIfAbsent(key, value) != null) {
                        throw malformed(what, "duplicate key \"" + printable(key) + "\"");
                    }
                }
                if (next != JsonToken.END_OBJECT) {
                    throw malformed(what, "truncated JSON object");
                }
                return map;
            }
            case START_ARRAY: {
                List<Object> list = new ArrayList<>();
                JsonToken next;
                while ((next = p.nextToken()) != JsonToken.END_ARRAY) {
                    if (next == null) {
                        throw malformed(what, "truncated JSON array");
                    }
                    list.add(read(p, what, depth + 1));
                }
                return list;
            }
            case VALUE_STRING:
                return checkString(p.getText(), what);
            case VALUE_NUMBER_INT:
                if (p.getNumberType() == JsonParser.NumberType.BIG_INTEGER) {
                    throw malformed(what, "integer " + printable(p.getText()) + " is out of range");
                }
                return p.getLongValue();
            case VALUE_NUMBER_FLOAT:
                throw malformed(what, "floating point number " + printable(p.getText())
                        + " (canonical JSON allows integers only)");
            case VALUE_TRUE:
                return Boolean.TRUE;
            case VALUE_FALSE:
                return Boolean.FALSE;
            case VALUE_NULL:
                return NULL;
            default:
                throw malformed(what, "unexpected token " + t);
        }
    }

    private static String checkString(String s, String what) throws MalformedMetadataException {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                throw malformed(what, "string with an unpaired surrogate");
            }
        }
        return s;
    }

    static MalformedMetadataException malformed(String what, String message) {
        return new MalformedMetadataException(Reason.MALFORMED, what + ": " + message);
    }

    /** A value safe to put into an error message: bounded, no control characters. */
    static String printable(String value) {
        String cut = value.length() > 80 ? value.substring(0, 80) + "…" : value;
        return cut.replaceAll("\\p{Cntrl}", "?");
    }
}
