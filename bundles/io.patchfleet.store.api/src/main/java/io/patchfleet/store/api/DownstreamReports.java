package io.patchfleet.store.api;

import java.util.List;
import java.util.Optional;
import org.osgi.annotation.versioning.ProviderType;

/**
 * Reports of downstream deployments (opt-in upstream reports), kept by the upstream. One row per
 * deployment, replaced by each report; in {@code machines} mode also its machines' states, which
 * a large deployment sends in several batches of one report. Thread-safe; each method one
 * transaction.
 */
@ProviderType
public interface DownstreamReports {

    /**
     * Stores one batch of a report. Batch 0 replaces the deployment's summary and every machine
     * state held for it; a later batch of the same report adds machine states.
     *
     * @param report the summary ({@link DownstreamReport#firstReportAt} and
     *     {@link DownstreamReport#machineStates} are the store's own and ignored)
     * @param reportId the id of this report, the same in all of its batches (1–64 characters)
     * @param batch 0 for the first batch
     * @param machines machine states of this batch (empty in summary mode)
     * @throws StoreException {@link StoreException.Reason#CONFLICT} if {@code batch > 0} belongs to
     *     another report than the deployment's last batch 0 (a stale or out-of-order batch)
     */
    void record(DownstreamReport report, String reportId, int batch, List<DownstreamMachine> machines) throws StoreException;

    /** Every deployment, the most recently heard first. */
    List<DownstreamReport> list() throws StoreException;

    /** One deployment; empty if unknown. */
    Optional<DownstreamReport> find(String deploymentId) throws StoreException;

    /** A deployment's machine states, by hash. */
    List<DownstreamMachine> machines(String deploymentId, int offset, int limit) throws StoreException;
}
