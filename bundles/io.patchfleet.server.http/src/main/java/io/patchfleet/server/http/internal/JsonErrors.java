package io.patchfleet.server.http.internal;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import jakarta.servlet.http.HttpServletResponse;

/** The one JSON mapper of the HTTP layer and the shape of every error body. */
final class JsonErrors {

    static final ObjectMapper MAPPER = new ObjectMapper()
            .findAndRegisterModules()
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS);

    private JsonErrors() {}

    static Map<String, Object> body(int status, String code, String message) {
        Map<String, Object> error = new LinkedHashMap<>();
        error.put("status", status);
        error.put("code", code);
        error.put("message", message);
        return Map.of("error", error);
    }

    static void write(HttpServletResponse response, int status, String code, String message) throws IOException {
        if (response.isCommitted()) {
            return;
        }
        response.resetBuffer();
        response.setStatus(status);
        response.setContentType("application/json");
        response.setCharacterEncoding("UTF-8");
        byte[] bytes = MAPPER.writeValueAsBytes(body(status, code, message));
        response.setContentLength(bytes.length);
        response.getOutputStream().write(bytes);
    }

    static String codeFor(int status) {
        return switch (status) {
            case 400 -> "bad-request";
            case 401 -> "unauthorized";
            case 403 -> "forbidden";
            case 404 -> "not-found";
            case 405 -> "method-not-allowed";
            case 408 -> "request-timeout";
            case 413 -> "body-too-large";
            case 414 -> "uri-too-long";
            case 415 -> "unsupported-media-type";
            case 429 -> "too-many-requests";
            case 431 -> "headers-too-large";
            case 503 -> "unavailable";
            default -> status >= 500 ? "server-error" : "client-error";
        };
    }
}
