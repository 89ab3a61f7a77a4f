package io.patchfleet.store.api;

import java.util.Objects;

/** A storage operation failed; nothing of it was written. */
public class StoreException extends Exception {
    private static final long serialVersionUID = 1L;

    private final Reason reason;

    public StoreException(Reason reason, String message) {
        this(reason, message, null);
    }

    public StoreException(Reason reason, String message, Throwable cause) {
        super(Objects.requireNonNull(message, "message"), cause);
        this.reason = Objects.requireNonNull(reason, "reason");
    }

    /** Why; never {@code null}. */
    public Reason reason() {
        return reason;
    }

    /** Whether the same call may succeed later unchanged: true only for {@link Reason#UNAVAILABLE}. */
    public boolean isRetryable() {
        return reason == Reason.UNAVAILABLE;
    }

    /** Why a storage operation failed. */
    public enum Reason {
        /** The thing referred to does not exist (unknown machine, release, tier or blob). */
        NOT_FOUND,
        /**
         * It conflicts with what is stored: same key with other content, a tier still in use, a
         * database schema newer than the code.
         */
        CONFLICT,
        /** Content does not match its expected digest or length; nothing was stored. */
        DIGEST_MISMATCH,
        /** A configured limit was reached (blob larger than allowed, disk quota). */
        LIMIT,
        /** Stored data is damaged (a blob whose bytes no longer hash to its name, a bad row). */
        CORRUPT,
        /**
         * A secret was refused: an enrollment token that is unknown, expired, revoked or used up.
         * Callers answer "unauthorized" without telling which (the message says, for logs).
         */
        REJECTED,
        /** The database or filesystem is unreachable or failed (connection, I/O, lock timeout). */
        UNAVAILABLE
    }
}
