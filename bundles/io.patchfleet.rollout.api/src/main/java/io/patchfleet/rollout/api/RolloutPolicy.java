package io.patchfleet.rollout.api;

import io.patchfleet.model.PatchRelease;
import io.patchfleet.model.TierName;
import java.time.Instant;
import java.util.Optional;
import org.osgi.annotation.versioning.ConsumerType;

/**
 * A rollout policy: given one machine's check-in, may the machine get a patch now?
 *
 * <p>Implemented by plugins and registered as DS services (usually factory components
 * configured through Configuration Admin and selected by {@code *.target} filters). The engine
 * asks every configured policy and applies the {@linkplain Decision#strictest(java.util.List)
 * strictest} answer, so a policy that has no opinion answers {@link Decision#offer} of the
 * newest candidate.
 *
 * <p><b>Contract.</b>
 * <ul>
 * <li><b>Threading:</b> {@link #decide} is called concurrently from many check-in threads, and
 *     may be called on an instance that is being deactivated (a swap must not fail a check-in).
 *     Implementations must be thread-safe; configuration is read from a final or volatile
 *     field, never from static mutable state.</li>
 * <li><b>Time:</b> it must not block on I/O, locks held by other requests or remote calls, and
 *     must answer within milliseconds: everything it needs is in the context, or in memory it
 *     keeps up to date in the background. It must use {@link RolloutContext#now()}, never the
 *     system clock, so that decisions are reproducible in tests.</li>
 * <li><b>Errors:</b> an exception thrown by {@code decide} (or a {@code null} result) counts as
 *     {@link Decision#policyError(String, RolloutContext) "hold: policy error"} until the next
 *     check-in: a broken policy withholds patches, it never lets one through. The engine logs
 *     it with the policy's service id.</li>
 * <li><b>Result:</b> never {@code null}; an offer must name one of
 *     {@link RolloutContext#candidates()} (the engine treats any other offer as a policy error).</li>
 * <li><b>Scope and order:</b> every policy service may carry the properties {@code tiers}
 *     (names of the tiers it applies to; absent or empty: all) and {@code order} (an integer;
 *     lower is asked first; reasons of equally strict holds come from the first). Component
 *     properties become service properties, so both are ordinary configuration keys. Changing
 *     them at run time re-sorts the chain atomically; a component that updates its
 *     configuration in a {@code @Modified} method is never missing from the chain meanwhile.</li>
 * </ul>
 */
@ConsumerType
public interface RolloutPolicy {

    /**
     * Decides for one machine at one check-in.
     *
     * @param ctx the machine, its candidate releases, their rollout state and fleet health,
     *     and the time of the check-in; never {@code null}
     * @return the decision; never {@code null}
     */
    Decision decide(RolloutContext ctx);

    /**
     * One line for {@code admin rollout status} about a release's rollout in a tier as this
     * policy sees it, such as {@code "wave 2 of 4: 25 % exposed; 50 % from 2026-11-26T02:00Z"}.
     * Called on admin requests, never on check-ins.
     *
     * @return empty when the policy has nothing to say (the default)
     */
    default Optional<String> describe(PatchRelease release, TierName tier, ReleaseRollout rollout, Instant now) {
        return Optional.empty();
    }
}
