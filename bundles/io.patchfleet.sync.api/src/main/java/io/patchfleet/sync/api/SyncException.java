package io.patchfleet.sync.api;

import java.util.Objects;

/** A sync step failed; what was committed before it stays committed. */
public class SyncException extends Exception {
    private static final long serialVersionUID = 1L;

    private final Reason reason;

    public SyncException(Reason reason, String message) {
        this(reason, message, null);
    }

    public SyncException(Reason reason, String message, Throwable cause) {
        super(Objects.requireNonNull(message, "message"), cause);
        this.reason = Objects.requireNonNull(reason, "reason");
    }

    /** Why; never {@code null}. */
    public Reason reason() {
        return reason;
    }

    /** Whether the next scheduled sync may succeed without anyone changing anything. */
    public boolean isRetryable() {
        return reason == Reason.UNREACHABLE || reason == Reason.STORAGE;
    }

    /** Why a sync failed. */
    public enum Reason {
        /** Network failure or timeout talking to the source. */
        UNREACHABLE,
        /** The sync token is missing, wrong or expired. */
        UNAUTHORIZED,
        /** The source answered something malformed or out of protocol. */
        PROTOCOL,
        /** The source does not have something it announced. */
        NOT_FOUND,
        /** Metadata or a blob failed verification against the publisher root. */
        VERIFICATION_FAILED,
        /** Local storage failed. */
        STORAGE,
        /** Sync is not configured (no source, disabled). */
        NOT_CONFIGURED
    }
}
