package io.patchfleet.rollout.tiers.internal;

import org.osgi.service.component.annotations.Component;

import io.patchfleet.rollout.api.Decision;
import io.patchfleet.rollout.api.RolloutContext;
import io.patchfleet.rollout.api.RolloutPolicy;

/**
 * The tier policy, the base of every rollout: offer the newest candidate (the candidates are the
 * non-revoked releases promoted to the machine's tier for its exact kernel, so promotion is what
 * moves a release between tiers). Because patches are cumulative, a machine running a revoked or
 * withdrawn version is offered the newest remaining one — an older version when the newest was
 * revoked — and told to revert when none remains. Stricter policies (waves, windows, health
 * gates) compose on top; the strictest answer wins.
 */
@Component(property = {"patchfleet.rollout.policy=tiers", "service.ranking:Integer=1000"})
public class TierPolicy implements RolloutPolicy {

    @Override
    public Decision decide(RolloutContext ctx) {
        var newest = ctx.newest();
        if (newest.isPresent()) {
            return Decision.offer(newest.get());
        }
        long running = ctx.machine().currentPatchVersion();
        if (running > 0) {
            return Decision.revert("patch " + running + " is no longer offered to tier "
                    + ctx.machine().machine().tier().value() + " (revoked or withdrawn) and no other patch remains");
        }
        return Decision.hold("no patch for this kernel is promoted to tier " + ctx.machine().machine().tier().value(),
                ctx.now());
    }
}
