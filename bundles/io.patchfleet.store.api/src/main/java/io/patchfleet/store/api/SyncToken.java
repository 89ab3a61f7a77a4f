package io.patchfleet.store.api;

import io.patchfleet.model.TierName;
import java.time.Instant;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A sync token as stored: the credential a downstream server syncs with (scope {@code sync}),
 * never accepted on machine or admin routes. The store keeps only a hash of its secret.
 *
 * @param id the public id (admins list and revoke by it): {@code [a-z0-9][a-z0-9_-]{0,63}}
 * @param name what the admin called it (which downstream uses it): 1–64 characters
 *     {@code [A-Za-z0-9._-]}
 * @param tier the tier it is bound to: a downstream syncing with it receives the patches
 *     available to that tier; never {@code null}
 * @param createdBy the admin who created it
 * @param createdAt when it was created
 * @param expiresAt from this instant on it is refused
 * @param revoked whether an admin revoked it
 * @param lastUsedAt the last time a downstream used it; {@code null} if never
 */
public record SyncToken(String id, String name, TierName tier, String createdBy, Instant createdAt, Instant expiresAt,
        boolean revoked, Instant lastUsedAt) {
    private static final Pattern ID = Pattern.compile("[a-z0-9][a-z0-9_-]{0,63}");
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._-]{1,64}");

    public SyncToken {
        Objects.requireNonNull(id, "sync token id");
        Objects.requireNonNull(name, "sync token name");
        Objects.requireNonNull(tier, "sync token tier");
        Objects.requireNonNull(createdBy, "sync token createdBy");
        Objects.requireNonNull(createdAt, "sync token createdAt");
        Objects.requireNonNull(expiresAt, "sync token expiresAt");
        if (!ID.matcher(id).matches()) {
            throw new IllegalArgumentException("invalid sync token id");
        }
        checkName(name);
    }

    /** @throws IllegalArgumentException unless {@code name} is 1–64 characters of {@code [A-Za-z0-9._-]} */
    public static String checkName(String name) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("a sync token name is 1-64 characters of letters, digits, '.', '_' and '-'");
        }
        return name;
    }

    /** Whether it is accepted at {@code now}. */
    public boolean usableAt(Instant now) {
        return !revoked && now.isBefore(expiresAt);
    }
}
