package io.patchfleet.server.api;

import java.util.Objects;

/**
 * An expected failure of a request, answered as
 * {@code {"error": {"status": 404, "code": "not-found", "message": "…"}}}.
 * The message is shown to the caller: it must say what was wrong with the request and never
 * carry internal details (stack traces, SQL, file paths of the server).
 */
public class ApiException extends Exception {
    private static final long serialVersionUID = 1L;

    private final int status;
    private final String code;

    /**
     * @param status HTTP status, 400–599
     * @param code   a stable machine-readable code in kebab case, such as {@code malformed-json}
     * @param message what was wrong, for a person
     */
    public ApiException(int status, String code, String message) {
        super(Objects.requireNonNull(message, "message"));
        if (status < 400 || status > 599) {
            throw new IllegalArgumentException("error status out of range: " + status);
        }
        this.status = status;
        this.code = Objects.requireNonNull(code, "code");
    }

    public int status() {
        return status;
    }

    public String code() {
        return code;
    }

    public static ApiException badRequest(String code, String message) {
        return new ApiException(400, code, message);
    }

    public static ApiException notFound(String message) {
        return new ApiException(404, "not-found", message);
    }
}
