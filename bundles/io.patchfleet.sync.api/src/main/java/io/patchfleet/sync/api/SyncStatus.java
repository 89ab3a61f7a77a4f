package io.patchfleet.sync.api;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * A snapshot of the sync service's state, for the admin API, metrics and {@code sync status}.
 *
 * @param state what it is doing now; never {@code null}
 * @param lastAttempt start of the last run; empty if it never ran
 * @param lastSuccess end of the last successful run; empty if none succeeded
 * @param lastError reason and message of the last failed run, cleared by a success; empty if none
 * @param cursor where the next run resumes; never {@code null}
 * @param metadataFiles metadata files committed by the last run (the running one, while running)
 * @param blobs blobs committed by the last run
 * @param bytes blob bytes downloaded by the last run
 * @param duration duration of the last finished run; {@link Duration#ZERO} if none
 */
public record SyncStatus(State state, Optional<Instant> lastAttempt, Optional<Instant> lastSuccess,
        Optional<String> lastError, SyncCursor cursor, long metadataFiles, long blobs, long bytes, Duration duration) {
    public SyncStatus {
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(lastAttempt, "lastAttempt");
        Objects.requireNonNull(lastSuccess, "lastSuccess");
        Objects.requireNonNull(lastError, "lastError");
        Objects.requireNonNull(cursor, "cursor");
        Objects.requireNonNull(duration, "duration");
        if (metadataFiles < 0 || blobs < 0 || bytes < 0 || duration.isNegative()) {
            throw new IllegalArgumentException("sync counts and duration must not be negative");
        }
    }

    /** What the sync service is doing. */
    public enum State {
        /** No source configured: this server publishes, or sync is off. */
        DISABLED,
        /** Waiting for the next scheduled or triggered run. */
        IDLE,
        /** A run was triggered and starts shortly. */
        QUEUED,
        /** A run is in progress. */
        RUNNING
    }
}
