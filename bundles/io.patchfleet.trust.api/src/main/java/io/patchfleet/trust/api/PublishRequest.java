package io.patchfleet.trust.api;

import io.patchfleet.model.PatchRelease;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * One change to the published targets: new or updated patch targets (a revocation is the same
 * release republished with {@code revoked = true}, so downstreams learn of it), and targets to
 * remove. A publish bumps the version of each targets role whose content changed (the
 * delegated role of each kernel touched; the top-level targets role only when a kernel series
 * is delegated for the first time), re-signs roles whose keys changed or whose expiry is near,
 * and always writes a new snapshot and timestamp. An empty request only does the latter.
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
