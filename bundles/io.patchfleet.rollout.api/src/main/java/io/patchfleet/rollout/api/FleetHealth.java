package io.patchfleet.rollout.api;

/**
 * How the machines of one tier fared with one release: machines, not reports (each machine
 * counts once, with its latest outcome for the release). A count over a time window
 * ({@link HealthHistory#since}) holds the machines whose latest outcome happened in it.
 *
 * @param offered machines the release was offered to (all time; not windowed)
 * @param applied machines that report it {@code applied}
 * @param applyFailed machines that report {@code apply-failed} after it was offered
 * @param crashed machines that report {@code applied-with-bug} with it (the kernel logged a bug
 *     or warning after it was applied) or whose client's crash guard refused it after a crash
 * @param checkFailed machines that report {@code check-failed} after it was offered (they could
 *     not verify or download it)
 */
public record FleetHealth(long offered, long applied, long applyFailed, long crashed, long checkFailed) {
    /** Nothing known yet. */
    public static final FleetHealth NONE = new FleetHealth(0, 0, 0, 0, 0);

    public FleetHealth {
        if (offered < 0 || applied < 0 || applyFailed < 0 || crashed < 0 || checkFailed < 0) {
            throw new IllegalArgumentException("fleet health counts must not be negative");
        }
    }

    /** Machines with an outcome: the sample size a rate is computed over. */
    public long sample() {
        return applied + applyFailed + crashed + checkFailed;
    }

    /** applyFailed / sample, 0 when the sample is empty. */
    public double applyFailedRate() {
        return rate(applyFailed);
    }

    /** crashed / sample, 0 when the sample is empty. */
    public double crashedRate() {
        return rate(crashed);
    }

    /** checkFailed / sample, 0 when the sample is empty. */
    public double checkFailedRate() {
        return rate(checkFailed);
    }

    private double rate(long n) {
        long s = sample();
        return s == 0 ? 0.0 : (double) n / s;
    }
}
