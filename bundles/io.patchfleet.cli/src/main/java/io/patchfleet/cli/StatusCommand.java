package io.patchfleet.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code patchfleet status}: what the local client daemon knows about this machine. */
@Command(name = "status", mixinStandardHelpOptions = true,
        description = "Show the patch status of this machine, from the local client daemon.",
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:the machine is enabled", "1:the machine is not enabled",
                "2:bad usage", "3:the client daemon is not running or not reachable", "4:the daemon answered with an error"})
public class StatusCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--data", paramLabel = "DIR", description = "The client's data directory (default: $PATCHFLEET_DATA, /var/lib/patchfleet/client when installed, else ./data/client)")
    Path data;

    @Option(names = "--format", paramLabel = "FORMAT", defaultValue = "humane", description = "Output format: humane, json or yaml (default: ${DEFAULT-VALUE})")
    Output.Format format;

    @Option(names = "--verbose", description = "Show every field")
    boolean verbose;

    private final Path home;

    public StatusCommand(Path home) {
        this.home = home;
    }

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Path dir = data != null ? data.toAbsolutePath() : DataDirectories.defaultFor("client", home);
        Map<String, Object> response;
        try {
            response = new ControlClient(DataDirectories.controlSocket(dir)).call("status", Map.of("verbose", verbose));
        } catch (ControlClient.UnreachableException e) {
            err.println(e.getMessage());
            return ExitCodes.DAEMON_UNREACHABLE;
        }
        if (!Boolean.TRUE.equals(response.get("ok"))) {
            Map<?, ?> error = (Map<?, ?>) response.get("error");
            err.println("The client daemon refused: " + (error == null ? response : error.get("message")));
            return ExitCodes.FAILED;
        }
        Map<?, ?> status = (Map<?, ?>) response.get("result");
        boolean enabled = Boolean.TRUE.equals(status.get("enabled"));
        if (!Output.writeStructured(out, format, status)) {
            printHumane(out, status, enabled);
        }
        out.flush();
        return enabled ? ExitCodes.OK : ExitCodes.NOT_ENABLED;
    }

    private void printHumane(PrintWriter out, Map<?, ?> status, boolean enabled) {
        if (!enabled) {
            out.println("Machine is not enabled. Run 'patchfleet enable TOKEN' with a token from your Patchfleet server.");
            if (!verbose) {
                return;
            }
        }
        out.println("client version: " + status.get("clientVersion"));
        out.println("machine id:     " + orDash(status.get("machineId")));
        out.println("server:         " + status.get("server"));
        out.println("tier:           " + orDash(status.get("tier")));
        out.println("last check:     " + orDash(status.get("lastCheck")));
        if (status.get("kernel") instanceof Map<?, ?> kernel) {
            out.println("kernel:         " + kernel.get("running") + " (" + kernel.get("architecture") + ")");
            out.println("  support:      " + kernel.get("support"));
            out.println("  check state:  " + kernel.get("checkState"));
            out.println("  patch state:  " + kernel.get("patchState"));
            out.println("  patch:        " + (kernel.get("patchVersion") == null ? "-"
                    : kernel.get("patchVersion") + " (" + kernel.get("patchName") + ")"));
            if (kernel.get("fixes") instanceof List<?> fixes && !fixes.isEmpty()) {
                out.println("  fixes:");
                for (Object f : fixes) {
                    if (f instanceof Map<?, ?> fix) {
                        out.println("    * " + fix.get("name") + " (" + fix.get("severity") + ")");
                    }
                }
            }
        }
        if (status.get("message") != null) {
            out.println("message:        " + status.get("message"));
        }
        if (status.get("crashed") instanceof Map<?, ?> crashed) {
            out.println("crash guard:    patch " + crashed.get("version")
                    + " is blocked after a crash; 'patchfleet refresh --clear-crash' allows it again");
        }
        if (verbose) {
            out.println("run mode:       " + status.get("runMode"));
            out.println("publisher root: " + orDash(status.get("publisherRoot")));
            out.println("next check:     " + orDash(status.get("nextCheck")));
            out.println("boot time:      " + orDash(status.get("bootTime")));
            out.println("cpu model:      " + orDash(status.get("cpuModel")));
            if (status.get("metadataExpires") != null) {
                out.println("metadata:       expires " + status.get("metadataExpires")
                        + (Boolean.TRUE.equals(status.get("metadataExpired")) ? " (EXPIRED: the server withholds updates)" : ""));
            }
            if (status.get("blocked") instanceof List<?> blocked && !blocked.isEmpty()) {
                out.println("blocked patches:");
                for (Object b : blocked) {
                    if (b instanceof Map<?, ?> p) {
                        out.println("    * " + p.get("version") + " (" + p.get("name") + "): " + p.get("reason"));
                    }
                }
            }
        }
    }

    private static Object orDash(Object value) {
        return value == null ? "-" : value;
    }
}
