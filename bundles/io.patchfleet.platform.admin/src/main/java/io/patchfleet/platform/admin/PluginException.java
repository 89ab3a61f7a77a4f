package io.patchfleet.platform.admin;

import java.util.List;

/**
 * A refused or rolled-back change. {@link #code()} is stable for scripts: {@code not-found},
 * {@code conflict}, {@code invalid-jar}, {@code unsigned}, {@code bad-signature},
 * {@code untrusted-key}, {@code invalid-config}, {@code no-metatype}, {@code rolled-back},
 * {@code protected} (a platform bundle that only an upgrade replaces), {@code timeout},
 * {@code failed}. The message says what happened for a person; {@link #problems()} lists the
 * fields of an invalid configuration or the failures that caused a rollback.
 */
public class PluginException extends Exception {
    private static final long serialVersionUID = 1L;

    /** One problem: the field (a configuration key, a bundle or component name) and the reason. */
    public record Problem(String field, String reason) {}

    private final String code;
    private final transient List<Problem> problems;

    public PluginException(String code, String message) {
        this(code, message, List.of());
    }

    public PluginException(String code, String message, List<Problem> problems) {
        super(message);
        this.code = code;
        this.problems = List.copyOf(problems);
    }

    public String code() {
        return code;
    }

    public List<Problem> problems() {
        return problems == null ? List.of() : problems;
    }
}
