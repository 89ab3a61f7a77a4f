package io.patchfleet.model;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * What a machine sends at check-in (DESIGN §5). Times are the machine's; the server records
 * its own receive time beside the report.
 *
 * @param machineId who reports; never {@code null}
 * @param kernel the running kernel; never {@code null}
 * @param patchState the patch state of the running kernel; never {@code null}
 * @param patchVersion the applied patch version; 0 when no patch is applied; not negative
 * @param clientVersion the client's version, 1–64 characters of {@code [A-Za-z0-9.+_~-]}
 * @param bootTime when the kernel booted; never {@code null}
 * @param uptime time since boot; not negative, never {@code null}
 * @param events events since the last successful check-in, oldest first; at most
 *     {@value #MAX_EVENTS} (the client drops the oldest beyond that); copied, unmodifiable
 */
public record MachineReport(MachineId machineId, KernelId kernel, PatchState patchState, long patchVersion,
        String clientVersion, Instant bootTime, Duration uptime, List<MachineEvent> events) {
    /** Most events one report may carry. */
    public static final int MAX_EVENTS = 256;

    public MachineReport {
        Objects.requireNonNull(machineId, "report machineId");
        Objects.requireNonNull(kernel, "report kernel");
        Objects.requireNonNull(patchState, "report patchState");
        Objects.requireNonNull(clientVersion, "report clientVersion");
        Objects.requireNonNull(bootTime, "report bootTime");
        Objects.requireNonNull(uptime, "report uptime");
        Objects.requireNonNull(events, "report events");
        if (patchVersion < 0) {
            throw new IllegalArgumentException("patch version must not be negative: " + patchVersion);
        }
        if (!Chars.clientVersion(clientVersion)) {
            throw new IllegalArgumentException("invalid client version: \"" + Wire.printable(clientVersion) + "\"");
        }
        if (uptime.isNegative()) {
            throw new IllegalArgumentException("uptime must not be negative: " + uptime);
        }
        events = List.copyOf(events);
        if (events.size() > MAX_EVENTS) {
            throw new IllegalArgumentException("more than " + MAX_EVENTS + " events in one report: " + events.size());
        }
    }
}
