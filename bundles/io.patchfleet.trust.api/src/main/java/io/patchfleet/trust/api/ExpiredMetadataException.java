package io.patchfleet.trust.api;

/**
 * Metadata expired before the start time of the update (TUF attack 5, indefinite freeze).
 *
 * <p>Allowed reasons: {@code EXPIRED}; other reasons are rejected with
 * {@link IllegalArgumentException}.
 */
public class ExpiredMetadataException extends TrustException {
    private static final long serialVersionUID = 1L;

    public ExpiredMetadataException(Reason reason, String message) {
        this(reason, message, null);
    }

    public ExpiredMetadataException(Reason reason, String message, Throwable cause) {
        super(require(reason, Reason.EXPIRED), message, cause);
    }
}
