package io.patchfleet.store.api;

import io.patchfleet.model.Machine;
import java.util.Objects;
import java.util.Optional;

/**
 * A machine with its last report, as listed by {@link MachineStore#query}.
 *
 * @param machine the machine; never {@code null}
 * @param lastReport its last report without events (those are in {@link MachineStore#reports});
 *     empty if it never reported
 */
public record MachineStatus(Machine machine, Optional<StoredReport> lastReport) {
    public MachineStatus {
        Objects.requireNonNull(machine, "machine");
        Objects.requireNonNull(lastReport, "lastReport");
    }
}
