package io.patchfleet.trust.api;

/**
 * Signatures do not establish trust: bad signature, threshold not met, or a root that does not match the pinned anchor.
 *
 * <p>Allowed reasons: {@code BAD_SIGNATURE, THRESHOLD_NOT_MET, ANCHOR_MISMATCH}; other reasons are rejected with
 * {@link IllegalArgumentException}.
 */
public class SignatureException extends TrustException {
    private static final long serialVersionUID = 1L;

    public SignatureException(Reason reason, String message) {
        this(reason, message, null);
    }

    public SignatureException(Reason reason, String message, Throwable cause) {
        super(require(reason, Reason.BAD_SIGNATURE, Reason.THRESHOLD_NOT_MET, Reason.ANCHOR_MISMATCH), message, cause);
    }
}
