package io.patchfleet.trust.api;

/**
 * Metadata is older than what is already trusted, or roles disagree about versions and hashes (TUF attacks 3 and 6).
 *
 * <p>Allowed reasons: {@code ROLLBACK, VERSION_MISMATCH}; other reasons are rejected with
 * {@link IllegalArgumentException}.
 */
public class RollbackException extends TrustException {
    private static final long serialVersionUID = 1L;

    public RollbackException(Reason reason, String message) {
        this(reason, message, null);
    }

    public RollbackException(Reason reason, String message, Throwable cause) {
        super(require(reason, Reason.ROLLBACK, Reason.VERSION_MISMATCH), message, cause);
    }
}
