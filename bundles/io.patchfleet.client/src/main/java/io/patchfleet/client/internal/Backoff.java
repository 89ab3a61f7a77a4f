package io.patchfleet.client.internal;

import java.time.Duration;
import java.util.function.DoubleSupplier;

/**
 * How long to wait after failed check-ins: exponential from {@code base}, doubled per
 * consecutive failure, capped, with "full jitter" between half and all of the step so that a
 * fleet cut off by one outage does not come back in lockstep.
 */
record Backoff(Duration base, Duration cap) {

    static final Backoff DEFAULT = new Backoff(Duration.ofSeconds(30), Duration.ofHours(1));

    /**
     * @param failures consecutive failures so far, at least 1
     * @param random uniform in [0, 1)
     */
    Duration delay(int failures, DoubleSupplier random) {
        int exponent = Math.min(Math.max(failures, 1) - 1, 30);
        long step = Math.min(cap.toMillis(), base.toMillis() << exponent);
        if (step <= 0) {
            step = cap.toMillis();
        }
        long jittered = step / 2 + (long) (random.getAsDouble() * (step - step / 2));
        return Duration.ofMillis(Math.min(jittered, cap.toMillis()));
    }
}
