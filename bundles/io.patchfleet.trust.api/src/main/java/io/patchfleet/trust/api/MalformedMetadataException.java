package io.patchfleet.trust.api;

/**
 * Metadata cannot be parsed or is too large (TUF attacks 7 and 12).
 *
 * <p>Allowed reasons: {@code MALFORMED, TOO_LARGE}; other reasons are rejected with
 * {@link IllegalArgumentException}.
 */
public class MalformedMetadataException extends TrustException {
    private static final long serialVersionUID = 1L;

    public MalformedMetadataException(Reason reason, String message) {
        this(reason, message, null);
    }

    public MalformedMetadataException(Reason reason, String message, Throwable cause) {
        super(require(reason, Reason.MALFORMED, Reason.TOO_LARGE), message, cause);
    }
}
