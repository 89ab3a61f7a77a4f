package io.patchfleet.trust.api;

import io.patchfleet.model.PatchRelease;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * One change to the published targets: new or updated patch targets (a revocation is the same
 * release republished with {@code revoked = true}, so downstreams learn of it), and targets to
 * remove. Each publish bumps targets, snapshot and timestamp versions by one.
 *
 * @param upsert patch releases to list, replacing a listed target of the same name; copied
 * @param remove target names to drop from the listing; copied
 * @param targetsLifetime how long the new targets and snapshot metadata are valid; positive
 * @param timestampLifetime how long the new timestamp is valid; positive, usually hours
 */
public record PublishRequest(List<PatchRelease> upsert, Set<String> remove, Duration targetsLifetime,
        Duration timestampLifetime) {
    public PublishRequest {
        Objects.requireNonNull(upsert, "upsert");
        Objects.requireNonNull(remove, "remove");
        Objects.requireNonNull(targetsLifetime, "targetsLifetime");
        Objects.requireNonNull(timestampLifetime, "timestampLifetime");
        upsert = List.copyOf(upsert);
        remove = Set.copyOf(remove);
        remove.forEach(PatchRelease::checkTargetName);
        if (targetsLifetime.isNegative() || targetsLifetime.isZero()
                || timestampLifetime.isNegative() || timestampLifetime.isZero()) {
            throw new IllegalArgumentException("metadata lifetimes must be positive");
        }
        if (upsert.stream().map(PatchRelease::targetName).distinct().count() != upsert.size()) {
            throw new IllegalArgumentException("a target name appears twice in one publish");
        }
        for (PatchRelease r : upsert) {
            if (remove.contains(r.targetName())) {
                throw new IllegalArgumentException("target " + r.targetName() + " is both added and removed");
            }
        }
    }
}
