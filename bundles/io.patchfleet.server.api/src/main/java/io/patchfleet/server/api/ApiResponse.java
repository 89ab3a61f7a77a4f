package io.patchfleet.server.api;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * What a route answers: a status, extra headers, and either an object that the router writes as
 * JSON with its single mapper, or raw bytes with their content type. Immutable.
 *
 * @param status  HTTP status code
 * @param headers extra response headers (never null; may be empty)
 * @param json    the object to write as JSON, or null when the body is {@code raw} or empty
 * @param raw     the raw body, or null when the body is {@code json} or empty
 * @param contentType the content type of {@code raw} or {@code stream}; ignored for JSON bodies
 * @param stream  a body of known length written straight to the connection (a module from the
 *     blob store), or null; never held in memory as a whole
 */
public record ApiResponse(int status, Map<String, String> headers, Object json, byte[] raw, String contentType,
        Streamed stream) {

    /** Writes a streamed body: exactly its announced length, to the response's output stream. */
    @FunctionalInterface
    public interface BodyWriter {
        /**
         * @throws IOException if the body cannot be written whole; the router then ends the
         *     connection, so the client sees a short body rather than a wrong one
         */
        void writeTo(OutputStream out) throws IOException;
    }

    /**
     * A body written as it is read, so a large module never sits in the heap whole.
     *
     * @param length the exact number of bytes {@code writer} writes (sent as Content-Length)
     * @param writer writes them
     */
    public record Streamed(long length, BodyWriter writer) {
        public Streamed {
            if (length < 0) {
                throw new IllegalArgumentException("negative length: " + length);
            }
            Objects.requireNonNull(writer, "writer");
        }
    }

    /** A response with a JSON body, a raw body or none (no streamed body). */
    public ApiResponse(int status, Map<String, String> headers, Object json, byte[] raw, String contentType) {
        this(status, headers, json, raw, contentType, null);
    }

    public ApiResponse {
        if (status < 100 || status > 599) {
            throw new IllegalArgumentException("HTTP status out of range: " + status);
        }
        headers = Map.copyOf(Objects.requireNonNull(headers, "headers"));
        if (json != null && raw != null) {
            throw new IllegalArgumentException("a response has a JSON body or a raw body, not both");
        }
        if (raw != null) {
            Objects.requireNonNull(contentType, "contentType of a raw body");
        }
        if (stream != null) {
            if (json != null || raw != null) {
                throw new IllegalArgumentException("a streamed body excludes a JSON or raw body");
            }
            Objects.requireNonNull(contentType, "contentType of a streamed body");
        }
    }

    /** {@code status} with a body of {@code length} bytes that {@code writer} writes to the connection. */
    public static ApiResponse stream(int status, String contentType, long length, BodyWriter writer) {
        return new ApiResponse(status, Map.of(), null, null, contentType, new Streamed(length, writer));
    }

    /** 200 with {@code body} written as JSON. */
    public static ApiResponse ok(Object body) {
        return json(200, body);
    }

    /** {@code status} with {@code body} written as JSON. */
    public static ApiResponse json(int status, Object body) {
        return new ApiResponse(status, Map.of(), Objects.requireNonNull(body, "body"), null, null);
    }

    /** {@code status} with a text body in UTF-8. */
    public static ApiResponse text(int status, String contentType, String body) {
        return new ApiResponse(status, Map.of(), null, body.getBytes(StandardCharsets.UTF_8), contentType);
    }

    /** {@code status} with no body, such as 204 or 304. */
    public static ApiResponse empty(int status) {
        return new ApiResponse(status, Map.of(), null, null, null);
    }

    /** A copy with one more header. */
    public ApiResponse withHeader(String name, String value) {
        Map<String, String> copy = new LinkedHashMap<>(headers);
        copy.put(Objects.requireNonNull(name, "name"), Objects.requireNonNull(value, "value"));
        return new ApiResponse(status, copy, json, raw, contentType, stream);
    }
}
