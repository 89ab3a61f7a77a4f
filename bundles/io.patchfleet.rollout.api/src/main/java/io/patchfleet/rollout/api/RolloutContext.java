package io.patchfleet.rollout.api;

import io.patchfleet.model.PatchRelease;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Everything a {@link RolloutPolicy} may use for one check-in. Immutable and thread-safe; the
 * engine builds one per check-in and shares it between all policies.
 *
 * @param machine the machine checking in; never {@code null}
 * @param candidates the releases the machine could run: for its kernel, available to its tier,
 *     not revoked; sorted by ascending version, distinct versions; empty when there is nothing
 *     to offer; copied, unmodifiable
 * @param rollouts the rollout state and fleet health of each candidate, by version; every
 *     candidate has an entry; copied, unmodifiable
 * @param now the time of the check-in; the only clock a policy may read; never {@code null}
 */
public record RolloutContext(MachineView machine, List<PatchRelease> candidates, Map<Long, ReleaseRollout> rollouts,
        Instant now) {
    public RolloutContext {
        Objects.requireNonNull(machine, "context machine");
        Objects.requireNonNull(candidates, "context candidates");
        Objects.requireNonNull(rollouts, "context rollouts");
        Objects.requireNonNull(now, "context now");
        candidates = sorted(candidates);
        rollouts = Map.copyOf(rollouts);
        long previous = 0;
        for (PatchRelease r : candidates) {
            if (r.version() == previous) {
                throw new IllegalArgumentException("duplicate candidate version " + r.version());
            }
            previous = r.version();
            if (!rollouts.containsKey(r.version())) {
                throw new IllegalArgumentException("no rollout entry for candidate version " + r.version());
            }
            ReleaseRollout rollout = rollouts.get(r.version());
            if (rollout.version() != r.version()) {
                throw new IllegalArgumentException("rollout entry " + r.version() + " is for version " + rollout.version());
            }
        }
    }

    /** Candidates by version; the usual one or two without a stream (this runs on every check-in). */
    private static List<PatchRelease> sorted(List<PatchRelease> candidates) {
        int n = candidates.size();
        if (n == 0) {
            return List.of();
        }
        if (n == 1) {
            return List.of(candidates.get(0));
        }
        PatchRelease[] a = candidates.toArray(new PatchRelease[0]);
        java.util.Arrays.sort(a, Comparator.comparingLong(PatchRelease::version));
        return List.of(a);
    }

    /** The newest candidate; empty when there are none. */
    public Optional<PatchRelease> newest() {
        return candidates.isEmpty() ? Optional.empty() : Optional.of(candidates.get(candidates.size() - 1));
    }

    /**
     * The candidate the machine runs now; empty when it runs no patch or one that is no longer a
     * candidate (revoked, halted). A policy that holds a machine back should still offer this
     * one rather than an older candidate: holding must not downgrade.
     */
    public Optional<PatchRelease> running() {
        long v = machine.currentPatchVersion();
        if (v == 0) {
            return Optional.empty();
        }
        for (PatchRelease r : candidates) {
            if (r.version() == v) {
                return Optional.of(r);
            }
        }
        return Optional.empty();
    }

    /**
     * The newest candidate at most {@code maxVersion}, or the running candidate when that is
     * newer (never a downgrade); empty when neither exists.
     */
    public Optional<PatchRelease> newestUpTo(long maxVersion) {
        PatchRelease best = null;
        for (PatchRelease r : candidates) {
            if (r.version() <= maxVersion) {
                best = r;
            }
        }
        Optional<PatchRelease> run = running();
        if (run.isPresent() && (best == null || run.get().version() > best.version())) {
            return run;
        }
        return Optional.ofNullable(best);
    }

    /**
     * The rollout of a candidate.
     *
     * @throws IllegalArgumentException if {@code release} is not a candidate
     */
    public ReleaseRollout rollout(PatchRelease release) {
        Objects.requireNonNull(release, "release");
        ReleaseRollout r = rollouts.get(release.version());
        if (r == null || !candidates.contains(release)) {
            throw new IllegalArgumentException("not a candidate: version " + release.version());
        }
        return r;
    }
}
