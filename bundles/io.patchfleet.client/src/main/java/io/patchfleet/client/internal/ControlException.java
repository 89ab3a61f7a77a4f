package io.patchfleet.client.internal;

/** An expected failure of a control verb, shown to the operator with its code. */
public class ControlException extends Exception {
    private static final long serialVersionUID = 1L;
    private final String code;

    public ControlException(String code, String message) {
        super(message);
        this.code = code;
    }

    public String code() {
        return code;
    }
}
