package io.patchfleet.cli;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The admin REST API over Java's HTTP client, with timeouts, and failures turned into a message
 * for a person and an exit code for a script ({@link ExitCodes}).
 */
final class AdminClient {
    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);
    static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(60);
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A failed call: what to tell the user and which exit code to return. */
    static final class Failure extends Exception {
        private static final long serialVersionUID = 1L;
        final int exitCode;

        Failure(int exitCode, String message) {
            super(message);
            this.exitCode = exitCode;
        }
    }

    private final HttpClient http;
    private final String server;
    private final String token;

    AdminClient(String server, String token) {
        this.http = HttpClient.newBuilder().connectTimeout(CONNECT_TIMEOUT).followRedirects(HttpClient.Redirect.NEVER).build();
        this.server = server.endsWith("/") ? server.substring(0, server.length() - 1) : server;
        this.token = token;
    }

    String server() {
        return server;
    }

    Map<String, Object> get(String path) throws Failure {
        return call("GET", path, null);
    }

    Map<String, Object> post(String path, Object body) throws Failure {
        return call("POST", path, body);
    }

    Map<String, Object> put(String path, Object body) throws Failure {
        return call("PUT", path, body);
    }

    Map<String, Object> delete(String path) throws Failure {
        return call("DELETE", path, null);
    }

    static String encode(String segment) {
        return URLEncoder.encode(segment, StandardCharsets.UTF_8).replace("+", "%20");
    }

    /** A path with query parameters, skipping null values. */
    static String query(String path, Map<String, Object> params) {
        StringBuilder sb = new StringBuilder(path);
        char sep = '?';
        for (var e : params.entrySet()) {
            if (e.getValue() != null) {
                sb.append(sep).append(encode(e.getKey())).append('=').append(encode(String.valueOf(e.getValue())));
                sep = '&';
            }
        }
        return sb.toString();
    }

    @SuppressWarnings("unchecked")
    Map<String, Object> call(String method, String path, Object body) throws Failure {
        URI uri;
        try {
            uri = URI.create(server + path);
        } catch (IllegalArgumentException e) {
            throw new Failure(ExitCodes.USAGE, "Invalid server URL " + server + ": " + e.getMessage());
        }
        if (uri.getScheme() == null || !(uri.getScheme().equals("http") || uri.getScheme().equals("https"))) {
            throw new Failure(ExitCodes.USAGE, "The server URL must start with http:// or https://: " + server);
        }
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(REQUEST_TIMEOUT).header("Accept", "application/json");
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        try {
            if (body != null) {
                b.header("Content-Type", "application/json")
                        .method(method, HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)));
            } else {
                b.method(method, HttpRequest.BodyPublishers.noBody());
            }
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        HttpResponse<String> response;
        try {
            response = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        } catch (HttpConnectTimeoutException e) {
            throw new Failure(ExitCodes.FAILED, "Cannot connect to the Patchfleet server at " + server + ": no answer within "
                    + CONNECT_TIMEOUT.toSeconds() + " s");
        } catch (HttpTimeoutException e) {
            throw new Failure(ExitCodes.FAILED, "The Patchfleet server at " + server + " did not answer within "
                    + REQUEST_TIMEOUT.toSeconds() + " s");
        } catch (ConnectException e) {
            throw new Failure(ExitCodes.FAILED, "Cannot connect to the Patchfleet server at " + server
                    + ": connection refused. Is it running? Set the address with --server or PATCHFLEET_SERVER.");
        } catch (IOException e) {
            throw new Failure(ExitCodes.FAILED, "Cannot reach the Patchfleet server at " + server + ": "
                    + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Failure(ExitCodes.FAILED, "Interrupted");
        }
        int status = response.statusCode();
        Map<String, Object> parsed = parse(response.body());
        if (status >= 200 && status < 300) {
            return parsed;
        }
        String message = parsed.get("error") instanceof Map<?, ?> error && error.get("message") != null
                ? String.valueOf(error.get("message")) : "HTTP " + status;
        throw switch (status) {
            case 401 -> new Failure(ExitCodes.NOT_LOGGED_IN, token == null
                    ? "Not logged in: run 'patchfleet admin login' (or set PATCHFLEET_ADMIN_TOKEN). Server says: " + message
                    : "The server refused the credentials (" + message + "). The session may have expired: run 'patchfleet admin login'.");
            case 403 -> new Failure(ExitCodes.NOT_LOGGED_IN, "Your role may not do this: " + message);
            case 404 -> new Failure(ExitCodes.NOT_FOUND, "Not found: " + message);
            case 409 -> new Failure(ExitCodes.CONFLICT, "Conflict: " + message);
            case 429 -> new Failure(ExitCodes.FAILED, "Refused for now: " + message
                    + response.headers().firstValue("Retry-After").map(s -> " (retry after " + s + " s)").orElse(""));
            case 400, 405, 413 -> new Failure(ExitCodes.USAGE, "The server refused the request: " + message);
            default -> new Failure(ExitCodes.FAILED, "The server failed (HTTP " + status + "): " + message);
        };
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> parse(String body) {
        if (body == null || body.isBlank()) {
            return new LinkedHashMap<>();
        }
        try {
            Object v = JSON.readValue(body, Object.class);
            return v instanceof Map<?, ?> m ? (Map<String, Object>) m : new LinkedHashMap<>(Map.of("value", v));
        } catch (IOException e) {
            return new LinkedHashMap<>(Map.of("error", Map.of("message", "not JSON: "
                    + body.substring(0, Math.min(200, body.length())))));
        }
    }
}
