package io.patchfleet.trust.tuf;

import java.util.Objects;

/** A key file cannot be used; {@link #reason()} tells the command line what to print. */
public class KeyFileException extends Exception {
    private static final long serialVersionUID = 1L;

    /** Why a key file cannot be used. */
    public enum Reason {
        /** The passphrase does not decrypt the key (or the file was altered). */
        WRONG_PASSPHRASE,
        /** The key is encrypted and no passphrase was given. */
        PASSPHRASE_REQUIRED,
        /** Not a Patchfleet key file, or damaged. */
        MALFORMED
    }

    private final Reason reason;

    public KeyFileException(Reason reason, String message) {
        this(reason, message, null);
    }

    public KeyFileException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = Objects.requireNonNull(reason, "reason");
    }

    /** Why; never {@code null}. */
    public Reason reason() {
        return reason;
    }
}
