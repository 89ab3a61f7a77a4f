package io.patchfleet.trust.api;

import java.util.Objects;

/**
 * The metadata or target is not trustworthy. Never retried against the same data; the trusted
 * state is left as it was before the failed operation. Subclasses group the reasons; callers
 * that only report can use {@link #reason()}.
 */
public class TrustException extends Exception {
    private static final long serialVersionUID = 1L;

    private final Reason reason;

    public TrustException(Reason reason, String message) {
        this(reason, message, null);
    }

    public TrustException(Reason reason, String message, Throwable cause) {
        super(Objects.requireNonNull(message, "message"), cause);
        this.reason = Objects.requireNonNull(reason, "reason");
    }

    /** Why; never {@code null}. */
    public Reason reason() {
        return reason;
    }

    /** Why trust failed. Wire names are lower case with dashes ({@code hash-mismatch}). */
    public enum Reason {
        /** A signature does not verify, or is by an unknown key or scheme ({@link SignatureException}). */
        BAD_SIGNATURE,
        /** Fewer valid signatures by distinct keys than the role's threshold ({@link SignatureException}). */
        THRESHOLD_NOT_MET,
        /** The root does not match the pinned fingerprint ({@link SignatureException}). */
        ANCHOR_MISMATCH,
        /** Metadata expired before the update's start time ({@link ExpiredMetadataException}). */
        EXPIRED,
        /** A version older than the trusted one, or a root not exactly N+1 ({@link RollbackException}). */
        ROLLBACK,
        /** Versions or hashes disagree between roles: mix-and-match ({@link RollbackException}). */
        VERSION_MISMATCH,
        /** Target bytes have another length than signed ({@link TargetMismatchException}). */
        LENGTH_MISMATCH,
        /** Target bytes have another hash than signed ({@link TargetMismatchException}). */
        HASH_MISMATCH,
        /** The target is not listed in verified metadata ({@link TargetMismatchException}). */
        UNKNOWN_TARGET,
        /** Not parseable, wrong type, bad role name, missing field ({@link MalformedMetadataException}). */
        MALFORMED,
        /** Larger than the cap for its kind (endless data) ({@link MalformedMetadataException}). */
        TOO_LARGE,
        /** A signing key failed to sign, or the keys given cannot meet a threshold (publisher side). */
        SIGNING_FAILED,
        /** A directive is for another machine ({@link TrustException} itself). */
        WRONG_MACHINE;

        /** The wire name, e.g. {@code "hash-mismatch"}. */
        public String wireName() {
            return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
        }
    }

    static Reason require(Reason reason, Reason... allowed) {
        Objects.requireNonNull(reason, "reason");
        for (Reason a : allowed) {
            if (a == reason) {
                return reason;
            }
        }
        throw new IllegalArgumentException("reason " + reason + " does not belong to this exception type");
    }
}
