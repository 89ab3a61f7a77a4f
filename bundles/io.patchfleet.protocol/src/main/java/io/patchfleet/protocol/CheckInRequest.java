package io.patchfleet.protocol;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import io.patchfleet.model.MachineEvent;
import io.patchfleet.model.MachineId;
import io.patchfleet.model.MachineReport;
import io.patchfleet.model.PatchState;

/**
 * {@code POST /v1/check-in}: the machine's report (DESIGN.md §5) and what metadata it holds.
 *
 * @param machineId the machine's id; must equal the credential's machine
 * @param kernel the running kernel
 * @param patchState wire name of the patch state, such as {@code applied}
 * @param patchVersion the applied patch version, 0 for none
 * @param clientVersion the client's version
 * @param bootTime when the kernel booted (ISO-8601)
 * @param uptimeSeconds seconds since boot
 * @param events events since the last acknowledged check-in, oldest first
 * @param trustedVersions the versions of the TUF metadata the client trusts, by file role
 *     ({@code timestamp}, {@code snapshot}, {@code targets}, its kernel's delegated role); the
 *     server answers with what is newer
 * @param directiveCounter the highest directive counter the client accepted; 0 before the first
 */
public record CheckInRequest(String machineId, WireKernel kernel, String patchState, long patchVersion,
        String clientVersion, String bootTime, long uptimeSeconds, List<WireEvent> events,
        Map<String, Long> trustedVersions, long directiveCounter) {

    public CheckInRequest {
        events = events == null ? List.of() : List.copyOf(events);
        trustedVersions = trustedVersions == null ? Map.of() : Map.copyOf(trustedVersions);
    }

    /** One event as it travels. */
    public record WireEvent(String kind, String time, long patchVersion, String detail) {
        public static WireEvent of(MachineEvent e) {
            return new WireEvent(e.kind().wireName(), e.time().toString(), e.patchVersion(), e.detail());
        }

        public MachineEvent toEvent() {
            return new MachineEvent(MachineEvent.Kind.fromWire(kind), WireTime.parse(time), patchVersion,
                    detail == null ? "" : detail);
        }
    }

    /**
     * The report in model types.
     *
     * @throws IllegalArgumentException (or {@link java.time.format.DateTimeParseException}) with
     *     the field at fault when a value is missing or malformed
     */
    public MachineReport toReport() {
        if (kernel == null) {
            throw new IllegalArgumentException("kernel is required");
        }
        if (patchState == null || bootTime == null || machineId == null) {
            throw new IllegalArgumentException("machineId, patchState and bootTime are required");
        }
        return new MachineReport(new MachineId(machineId), kernel.toKernelId(), PatchState.fromWire(patchState),
                patchVersion, clientVersion, WireTime.parse(bootTime), Duration.ofSeconds(uptimeSeconds),
                events.stream().map(WireEvent::toEvent).toList());
    }

    public static CheckInRequest of(MachineReport report, Map<String, Long> trustedVersions, long directiveCounter) {
        return new CheckInRequest(report.machineId().value(), WireKernel.of(report.kernel()), report.patchState().wireName(),
                report.patchVersion(), report.clientVersion(), report.bootTime().toString(), report.uptime().toSeconds(),
                report.events().stream().map(WireEvent::of).toList(), trustedVersions, directiveCounter);
    }
}
