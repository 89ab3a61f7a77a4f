package io.patchfleet.trust.api;

import java.util.Objects;
import java.util.Set;

/**
 * The keys trusted for one role and how many of them must sign.
 *
 * @param keyIds the distinct keys; copied, unmodifiable, not empty. A set, so one key can never
 *     count twice towards the threshold (TUF attack 2)
 * @param threshold signatures by distinct listed keys needed; {@code 1 <= threshold <= keyIds.size()}
 */
public record RoleKeys(Set<KeyId> keyIds, int threshold) {
    public RoleKeys {
        Objects.requireNonNull(keyIds, "role key ids");
        keyIds = Set.copyOf(keyIds);
        if (keyIds.isEmpty()) {
            throw new IllegalArgumentException("a role needs at least one key");
        }
        if (threshold < 1 || threshold > keyIds.size()) {
            throw new IllegalArgumentException("threshold must be in 1.." + keyIds.size() + ": " + threshold);
        }
    }

    /**
     * Whether signatures verified for {@code signers} meet the threshold: counts distinct
     * signers that are listed for this role, ignoring others.
     */
    public boolean isMetBy(Set<KeyId> signers) {
        Objects.requireNonNull(signers, "signers");
        return signers.stream().filter(keyIds::contains).distinct().count() >= threshold;
    }
}
