package io.patchfleet.rollout.api;

import io.patchfleet.model.KernelId;
import io.patchfleet.model.TierName;
import org.osgi.annotation.versioning.ProviderType;

/**
 * What a policy may do to a rollout besides answering: halt it. Implemented by the rollout
 * engine and registered as a service; a health gate uses it when a release breaches its limits.
 * A halt is stored, written to the audit log, counted in the metrics and shown by
 * {@code admin rollout status}; only an admin resumes a halted rollout.
 */
@ProviderType
public interface RolloutControl {

    /**
     * Halts the rollout of a release in a tier. Safe to call from {@link RolloutPolicy#decide}:
     * it returns at once (the halt takes effect in memory immediately and is stored in the
     * background), and calling it again for a halted rollout does nothing.
     *
     * @param kernel the release's kernel; never {@code null}
     * @param version the release's version
     * @param tier the tier; never {@code null}
     * @param actor who halts, for the audit log (e.g. the policy's configuration name)
     * @param cause why, shown to admins and machines; 1–512 characters
     * @param revert whether machines running it are moved back to the previous patch (or told to
     *     unload it when there is none)
     */
    void halt(KernelId kernel, long version, TierName tier, String actor, String cause, boolean revert);
}
