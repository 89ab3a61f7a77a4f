package io.patchfleet.rollout.api;

import io.patchfleet.model.PatchRelease;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import org.osgi.annotation.versioning.ProviderType;

/**
 * A policy's answer for one check-in: {@link Offer offer} a release, {@link Hold hold} (with a
 * reason and a time before which asking again is pointless), or {@link Revert revert} the
 * patch the machine runs. Immutable and thread-safe.
 *
 * <p><b>Strictness.</b> Revert is stricter than hold, hold stricter than offer
 * ({@link #strictness()}). Among holds, the later {@code notBefore} is stricter; among offers,
 * the lower version is stricter (the more conservative patch). {@link #strictest} combines the
 * answers of several policies by this order.
 *
 * <p>This is a closed set: policies create decisions with the factories, they do not implement
 * this interface.
 */
@ProviderType
public sealed interface Decision permits Decision.Offer, Decision.Hold, Decision.Revert {

    /** Reason of the hold that stands in for a policy that threw or returned {@code null}. */
    String POLICY_ERROR = "policy error";

    /** Longest reason text kept; longer reasons are rejected (they end up in status output). */
    int MAX_REASON = 512;

    /** 0 for offer, 1 for hold, 2 for revert: a higher number is stricter. */
    int strictness();

    /**
     * Offer a release now.
     *
     * @param release one of the context's candidates; never {@code null}
     */
    static Offer offer(PatchRelease release) {
        return new Offer(release);
    }

    /**
     * Hold: no new patch for now.
     *
     * @param reason why, for status output and logs; 1–{@value #MAX_REASON} characters
     * @param notBefore when asking again may change the answer; {@code now} or earlier means "at
     *     the next check-in", {@link Instant#MAX} means "until something else changes" (an
     *     admin resumes, a new release)
     */
    static Hold hold(String reason, Instant notBefore) {
        return new Hold(reason, notBefore);
    }

    /**
     * Revert the patch the machine runs.
     *
     * @param reason why; 1–{@value #MAX_REASON} characters
     */
    static Revert revert(String reason) {
        return new Revert(reason);
    }

    /**
     * The hold the engine uses in place of a policy that threw or returned {@code null}:
     * reason {@code "policy error: <policy>"}, not before {@code ctx.now()} (asked again at the
     * next check-in).
     *
     * @param policy a name for the failed policy (service id or component name); never {@code null}
     */
    static Hold policyError(String policy, RolloutContext ctx) {
        Objects.requireNonNull(policy, "policy");
        Objects.requireNonNull(ctx, "ctx");
        String reason = POLICY_ERROR + ": " + policy;
        return new Hold(reason.length() > MAX_REASON ? reason.substring(0, MAX_REASON) : reason, ctx.now());
    }

    /**
     * The strictest of several decisions: any revert beats any hold, any hold beats any offer.
     * Among reverts the first wins; among holds the one with the latest {@code notBefore} (the
     * first of equals); among offers the one with the lowest version (the first of equals).
     *
     * @param decisions the answers of the configured policies, in configured order; not empty,
     *     no {@code null} elements
     * @throws IllegalArgumentException if {@code decisions} is empty: with no policy at all the
     *     engine must decide explicitly what that means
     */
    static Decision strictest(List<? extends Decision> decisions) {
        Objects.requireNonNull(decisions, "decisions");
        if (decisions.isEmpty()) {
            throw new IllegalArgumentException("no decisions to combine");
        }
        Decision best = null;
        for (Decision d : decisions) {
            Objects.requireNonNull(d, "decision");
            if (best == null || stricter(d, best)) {
                best = d;
            }
        }
        return best;
    }

    /** Same as {@link #strictest(List)}. */
    static Decision strictest(Decision first, Decision... more) {
        Objects.requireNonNull(more, "decisions");
        Decision[] all = new Decision[more.length + 1];
        all[0] = first;
        System.arraycopy(more, 0, all, 1, more.length);
        return strictest(java.util.Arrays.asList(all));
    }

    /** Whether {@code a} is strictly stricter than {@code b}. */
    private static boolean stricter(Decision a, Decision b) {
        if (a.strictness() != b.strictness()) {
            return a.strictness() > b.strictness();
        }
        if (a instanceof Hold ha && b instanceof Hold hb) {
            return ha.notBefore().isAfter(hb.notBefore());
        }
        if (a instanceof Offer oa && b instanceof Offer ob) {
            return oa.release().version() < ob.release().version();
        }
        return false;
    }

    private static String checkReason(String reason) {
        Objects.requireNonNull(reason, "reason");
        if (reason.isBlank() || reason.length() > MAX_REASON) {
            throw new IllegalArgumentException("reason must be 1.." + MAX_REASON + " characters and not blank");
        }
        return reason;
    }

    /**
     * Offer {@code release} to the machine now.
     *
     * @param release never {@code null}
     */
    record Offer(PatchRelease release) implements Decision {
        public Offer {
            Objects.requireNonNull(release, "offered release");
        }

        @Override
        public int strictness() {
            return 0;
        }
    }

    /**
     * Do not offer a new patch yet; the machine keeps what it runs.
     *
     * @param reason why; never {@code null} or blank
     * @param notBefore when asking again may change the answer; never {@code null}
     */
    record Hold(String reason, Instant notBefore) implements Decision {
        public Hold {
            checkReason(reason);
            Objects.requireNonNull(notBefore, "hold notBefore");
        }

        @Override
        public int strictness() {
            return 1;
        }
    }

    /**
     * Disable and unload the patch the machine runs.
     *
     * @param reason why; never {@code null} or blank
     */
    record Revert(String reason) implements Decision {
        public Revert {
            checkReason(reason);
        }

        @Override
        public int strictness() {
            return 2;
        }
    }
}
