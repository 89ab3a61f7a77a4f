/**
 * The rollout plugin SPI (DESIGN §4): which patch a machine should run now.
 *
 * <p>A policy is a DS service implementing {@link io.patchfleet.rollout.api.RolloutPolicy}.
 * For each check-in the rollout engine builds one {@link io.patchfleet.rollout.api.RolloutContext},
 * asks every configured policy in order, and combines their answers with
 * {@link io.patchfleet.rollout.api.Decision#strictest(java.util.List)}: revert beats hold beats
 * offer. The combination rule lives here, not in the engine, so that policies, the engine and
 * tests share one definition of "strictest".
 */
@Export
@Version("1.0.0")
package io.patchfleet.rollout.api;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
