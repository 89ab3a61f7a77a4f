package io.patchfleet.store.api;

import io.patchfleet.model.TierName;
import java.time.Instant;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * An enrollment token as stored: everything but its secret, of which the store keeps only a hash.
 *
 * @param id the public id (admins list and revoke by it): 1–64 characters of {@code [a-z0-9_-]};
 *     never {@code null}
 * @param tier the tier machines enrolled with it join; never {@code null}
 * @param description a note for admins, at most 256 characters; empty when none
 * @param createdBy who created it (an admin user name); never {@code null}
 * @param createdAt when it was created; never {@code null}
 * @param expiresAt after this instant it is refused; never {@code null}
 * @param maxUses how many distinct enrollments it allows; at least 1
 * @param uses how many it was used for; {@code 0 <= uses <= maxUses}
 * @param revoked whether an admin revoked it
 */
public record EnrollmentToken(String id, TierName tier, String description, String createdBy, Instant createdAt,
        Instant expiresAt, int maxUses, int uses, boolean revoked) {
    private static final Pattern ID = Pattern.compile("[a-z0-9][a-z0-9_-]{0,63}");

    public EnrollmentToken {
        Objects.requireNonNull(id, "token id");
        Objects.requireNonNull(tier, "token tier");
        Objects.requireNonNull(description, "token description");
        Objects.requireNonNull(createdBy, "token createdBy");
        Objects.requireNonNull(createdAt, "token createdAt");
        Objects.requireNonNull(expiresAt, "token expiresAt");
        if (!ID.matcher(id).matches()) {
            throw new IllegalArgumentException("invalid token id");
        }
        if (description.length() > 256) {
            throw new IllegalArgumentException("token description longer than 256 characters");
        }
        if (maxUses < 1 || uses < 0 || uses > maxUses) {
            throw new IllegalArgumentException("token uses must be in 0.." + maxUses + " with maxUses >= 1");
        }
    }

    /** Whether it would be accepted at {@code now} for a new machine. */
    public boolean usableAt(Instant now) {
        return !revoked && uses < maxUses && now.isBefore(expiresAt);
    }
}
