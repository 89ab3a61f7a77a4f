package io.patchfleet.store.api;

import io.patchfleet.model.KernelId;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * What this server knows beyond the release itself about why a release is (or is not) offered:
 * who revoked it, whether the upstream withdrew it, and whether an admin here keeps it enabled
 * anyway (KernelCare's "Enabled (!)").
 *
 * @param kernel the release's kernel; never {@code null}
 * @param version the release's version
 * @param revokedBy who revoked it here, empty while it is offered
 * @param withdrawnAt when a sync first learned that the upstream withdrew it; empty if it did not
 * @param withdrawnReason what the upstream said (or which upstream withdrew it); empty if not withdrawn
 * @param keptBy the admin who keeps it enabled here whatever the upstream does; empty if none
 * @param keptAt when that admin decided it; empty if not kept
 */
public record UpstreamWithdrawal(KernelId kernel, long version, Optional<RevokedBy> revokedBy, Optional<Instant> withdrawnAt,
        Optional<String> withdrawnReason, Optional<String> keptBy, Optional<Instant> keptAt) {

    /** Who revoked a release on this server. */
    public enum RevokedBy {
        /** The publisher's signed metadata marks it revoked: no server may offer it, clients refuse it. */
        PUBLISHER,
        /** An admin of this server (or a rollout's automatic halt) revoked it. */
        LOCAL,
        /** A sync revoked it because the upstream withdrew it: an admin here may keep it instead. */
        UPSTREAM,
        /** Revoked before this server recorded why (a database older than schema version 8). */
        UNKNOWN;

        /** The name in the API: {@code publisher}, {@code local}, {@code upstream}, {@code unknown}. */
        public String wireName() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    public UpstreamWithdrawal {
        Objects.requireNonNull(kernel, "kernel");
        Objects.requireNonNull(revokedBy, "revokedBy");
        Objects.requireNonNull(withdrawnAt, "withdrawnAt");
        Objects.requireNonNull(withdrawnReason, "withdrawnReason");
        Objects.requireNonNull(keptBy, "keptBy");
        Objects.requireNonNull(keptAt, "keptAt");
    }

    /** Whether the upstream withdrew it. */
    public boolean withdrawn() {
        return withdrawnAt.isPresent();
    }

    /** Whether an admin keeps it enabled here. */
    public boolean kept() {
        return keptBy.isPresent();
    }

    /**
     * KernelCare's "Enabled (!)": offered here (an admin keeps it) although the upstream withdrew it.
     */
    public boolean enabledDespiteWithdrawal() {
        return withdrawn() && revokedBy.isEmpty();
    }

    /**
     * The state as an admin reads it: {@code enabled}, {@code enabled (!)} (offered here although the
     * upstream withdrew it), {@code blocked} (revoked here because the upstream withdrew it),
     * {@code revoked} (by the publisher or an admin here).
     */
    public String state() {
        if (revokedBy.isEmpty()) {
            return withdrawn() ? "enabled (!)" : "enabled";
        }
        return revokedBy.get() == RevokedBy.UPSTREAM ? "blocked" : "revoked";
    }
}
