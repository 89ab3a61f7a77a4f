package io.patchfleet.store.api;

import io.patchfleet.model.Machine;
import io.patchfleet.model.MachineId;
import io.patchfleet.model.TierName;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.osgi.annotation.versioning.ProviderType;

/**
 * Enrolled machines and their reports. Implemented by the platform; thread-safe; every method
 * is one transaction unless it says otherwise. {@link #recordReport} is on the check-in hot path
 * and must not take locks beyond the machine's own row.
 *
 * <p>Machines enrolled with a token and a credential go through {@link EnrollmentStore};
 * {@link #enroll} here records or moves a machine without touching its credential (an admin
 * moving a machine to another tier, an import).
 */
@ProviderType
public interface MachineStore {

    /**
     * Enrolls a machine, or updates tier and tags of an enrolled one (re-enrolling is not an
     * error: a reinstalled machine keeps its id). The first enrollment time is kept.
     *
     * @return the stored machine; never {@code null}
     * @throws StoreException {@link StoreException.Reason#NOT_FOUND} if the tier does not exist
     */
    Machine enroll(Machine machine) throws StoreException;

    /**
     * One machine.
     *
     * @return empty if not enrolled
     */
    Optional<Machine> find(MachineId id) throws StoreException;

    /**
     * Machines of a tier by id, a page at a time.
     *
     * @param offset machines to skip; not negative
     * @param limit most machines to return; 1 to 1000
     */
    List<Machine> findByTier(TierName tier, int offset, int limit) throws StoreException;

    /**
     * Records a check-in atomically: the report becomes the machine's last report and its
     * events are appended to the machine's history. Retention of history is the store's job.
     *
     * @throws StoreException {@link StoreException.Reason#NOT_FOUND} if the machine is not enrolled
     */
    void recordReport(StoredReport report) throws StoreException;

    /**
     * The last report of a machine.
     *
     * @return empty if it never reported (or is not enrolled)
     */
    Optional<StoredReport> lastReport(MachineId id) throws StoreException;

    /**
     * The machine's reports received at or after {@code since}, oldest first, at most
     * {@code limit} (1 to 1000).
     */
    List<StoredReport> reports(MachineId id, Instant since, int limit) throws StoreException;

    /**
     * Removes a machine and its reports (the machine disabled itself or an admin removed it).
     *
     * @return {@code true} if it was enrolled
     */
    boolean remove(MachineId id) throws StoreException;

    /**
     * Machines matching {@code filter} with their last report, ordered by machine id, a page at a
     * time.
     *
     * @param offset machines to skip; not negative
     * @param limit most machines to return; 1 to 1000
     */
    List<MachineStatus> query(MachineFilter filter, int offset, int limit) throws StoreException;

    /** How many machines match {@code filter}. */
    long count(MachineFilter filter) throws StoreException;

    /**
     * Patch health: machines matching {@code filter} counted per tier, patch version and patch
     * state of their last report, ordered by tier position, version, state. Machines that never
     * reported are counted with version 0 and {@link io.patchfleet.model.PatchState#NEEDS_CHECK}.
     */
    List<HealthCount> patchHealth(MachineFilter filter) throws StoreException;

    /**
     * Report retention: deletes reports (and their events) received before {@code cutoff},
     * except each machine's last report, which its status needs. Runs in batches, each its own
     * transaction, so a large purge neither blocks check-ins nor grows one huge transaction; a
     * crash part way leaves a partial but consistent purge that the next run finishes.
     *
     * @return how many reports were deleted
     */
    long deleteReportsBefore(Instant cutoff) throws StoreException;

    /**
     * Records the rollout decision a machine's check-in got. The store writes only when the
     * outcome, reason or not-before time differs from the last one recorded for the machine, so
     * the steady state (the same answer at every check-in) costs no write.
     *
     * @return whether it was written (it changed)
     * @throws StoreException {@code NOT_FOUND} for a machine that is not enrolled
     */
    boolean recordDecision(MachineId id, RolloutDecision decision) throws StoreException;

    /** The last rollout decision recorded for a machine; empty before its first check-in with a decision. */
    Optional<RolloutDecision> lastDecision(MachineId id) throws StoreException;
}
