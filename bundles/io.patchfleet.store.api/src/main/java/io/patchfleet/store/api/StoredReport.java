package io.patchfleet.store.api;

import io.patchfleet.model.MachineReport;
import java.time.Instant;
import java.util.Objects;

/**
 * A machine report as stored, with the server's receive time (the machine's clock may be wrong).
 *
 * @param report the report; never {@code null}
 * @param receivedAt when the server received it; never {@code null}
 */
public record StoredReport(MachineReport report, Instant receivedAt) {
    public StoredReport {
        Objects.requireNonNull(report, "report");
        Objects.requireNonNull(receivedAt, "receivedAt");
    }
}
