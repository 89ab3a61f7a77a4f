package io.patchfleet.rollout.api;

import java.time.Instant;
import org.osgi.annotation.versioning.ProviderType;

/**
 * The fleet health of one release in one tier over a sliding window. The engine keeps it in
 * memory, fed by check-ins, with a resolution of one minute and a horizon of
 * {@value #HORIZON_HOURS} hours; reading it is cheap (no storage access) but not free, so a
 * policy that reads it on every check-in should keep its verdict for a second or so.
 */
@ProviderType
public interface HealthHistory {
    /** How far back the engine keeps outcomes. */
    int HORIZON_HOURS = 48;

    /** A history with nothing in it. */
    HealthHistory NONE = from -> FleetHealth.NONE;

    /**
     * Machines whose latest outcome for the release happened at or after {@code from} (rounded
     * down to the minute); {@link FleetHealth#offered()} is the all-time count.
     *
     * @param from start of the window; never {@code null}
     */
    FleetHealth since(Instant from);
}
