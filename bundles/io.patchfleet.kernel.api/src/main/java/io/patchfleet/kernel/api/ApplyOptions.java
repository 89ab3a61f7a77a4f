package io.patchfleet.kernel.api;

import java.time.Duration;
import java.util.Objects;

/**
 * How to apply a patch.
 *
 * @param transitionTimeout how long to wait for the transition before reversing; positive and
 *     at most {@link #MAX_TIMEOUT} (a bounded wait is the point)
 * @param signalStalledTasks whether to send stalled tasks the livepatch fake signal while
 *     waiting (what kpatch does after 15 s)
 * @param replace whether the module is a cumulative patch with atomic replace, so that older
 *     patches it disables are unloaded afterwards
 */
public record ApplyOptions(Duration transitionTimeout, boolean signalStalledTasks, boolean replace) {
    /** Longest transition wait accepted. */
    public static final Duration MAX_TIMEOUT = Duration.ofMinutes(10);

    /** 75 s (kpatch: 15 s, then signal, then 60 s more), signal stalled tasks, atomic replace. */
    public static final ApplyOptions DEFAULTS = new ApplyOptions(Duration.ofSeconds(75), true, true);

    public ApplyOptions {
        checkTimeout(transitionTimeout);
    }

    /**
     * Checks a transition timeout.
     *
     * @return {@code timeout}
     * @throws IllegalArgumentException if it is not positive or longer than {@link #MAX_TIMEOUT}
     */
    public static Duration checkTimeout(Duration timeout) {
        Objects.requireNonNull(timeout, "transition timeout");
        if (timeout.isNegative() || timeout.isZero() || timeout.compareTo(MAX_TIMEOUT) > 0) {
            throw new IllegalArgumentException("transition timeout must be in (0, " + MAX_TIMEOUT + "]: " + timeout);
        }
        return timeout;
    }
}
