package io.patchfleet.rollout.api;

/**
 * How the machines of a tier fared with one release so far. Counts are of machines, not of
 * reports, and may lag the newest check-ins by the engine's aggregation interval.
 *
 * @param offered machines that were offered the release
 * @param applied machines reporting it {@code applied}
 * @param failed machines reporting {@code apply-failed} for it
 * @param appliedWithBug machines reporting {@code applied-with-bug} for it
 * @param silent machines that were offered it and have not checked in since (a crash or hang
 *     after insertion looks like this)
 */
public record FleetHealth(long offered, long applied, long failed, long appliedWithBug, long silent) {
    /** No machine offered yet. */
    public static final FleetHealth NONE = new FleetHealth(0, 0, 0, 0, 0);

    public FleetHealth {
        if (offered < 0 || applied < 0 || failed < 0 || appliedWithBug < 0 || silent < 0) {
            throw new IllegalArgumentException("fleet health counts must not be negative");
        }
    }

    /** Machines that reported an outcome: applied, failed or applied with a bug. */
    public long finished() {
        return applied + failed + appliedWithBug;
    }

    /** (failed + appliedWithBug) / finished, or 0 when nothing has finished. */
    public double failureRate() {
        long done = finished();
        return done == 0 ? 0.0 : (double) (failed + appliedWithBug) / done;
    }
}
