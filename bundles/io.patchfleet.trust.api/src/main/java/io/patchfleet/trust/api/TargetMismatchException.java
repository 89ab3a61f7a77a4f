package io.patchfleet.trust.api;

/**
 * Target bytes do not match the signed target, or the target is not signed at all (TUF attacks 1 and 9).
 *
 * <p>Allowed reasons: {@code LENGTH_MISMATCH, HASH_MISMATCH, UNKNOWN_TARGET}; other reasons are rejected with
 * {@link IllegalArgumentException}.
 */
public class TargetMismatchException extends TrustException {
    private static final long serialVersionUID = 1L;

    public TargetMismatchException(Reason reason, String message) {
        this(reason, message, null);
    }

    public TargetMismatchException(Reason reason, String message, Throwable cause) {
        super(require(reason, Reason.LENGTH_MISMATCH, Reason.HASH_MISMATCH, Reason.UNKNOWN_TARGET), message, cause);
    }
}
