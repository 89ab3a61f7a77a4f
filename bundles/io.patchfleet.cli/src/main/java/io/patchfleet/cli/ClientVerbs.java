package io.patchfleet.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * The client verbs besides {@code status}, each one request to the local daemon's control
 * socket: {@code enable}, {@code disable}, {@code refresh}, {@code config},
 * {@code kernel-upgrade-required}. Exit codes as in {@link ExitCodes}.
 */
public final class ClientVerbs {
    private ClientVerbs() {}

    /** The verbs, for the launcher to register. */
    public static List<Object> all(Path home) {
        return List.of(new Enable(home), new Disable(home), new Refresh(home), new Config(home, System.in),
                new KernelUpgradeRequired(home), LocalPluginCommand.commandLine(home));
    }

    abstract static class DaemonVerb implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(names = "--data", paramLabel = "DIR", description = "The client's data directory (default: $PATCHFLEET_DATA, /var/lib/patchfleet/client when installed, else ./data/client)")
        Path data;

        private final Path home;

        DaemonVerb(Path home) {
            this.home = home;
        }

        /** The daemon's result, or null after printing the error (the exit code is then in {@link #failure}). */
        Map<?, ?> call(String command, Map<String, Object> arguments) throws IOException {
            Path dir = data != null ? data.toAbsolutePath() : DataDirectories.defaultFor("client", home);
            PrintWriter err = spec.commandLine().getErr();
            Map<String, Object> response;
            try {
                response = new ControlClient(DataDirectories.controlSocket(dir)).call(command, arguments);
            } catch (ControlClient.UnreachableException e) {
                err.println(e.getMessage());
                err.flush();
                failure = ExitCodes.DAEMON_UNREACHABLE;
                return null;
            }
            if (!Boolean.TRUE.equals(response.get("ok"))) {
                Map<?, ?> error = (Map<?, ?>) response.get("error");
                Object code = error == null ? null : error.get("code");
                err.println("patchfleet " + command + ": " + (error == null ? response : error.get("message")));
                err.flush();
                failure = "not-enabled".equals(code) ? ExitCodes.NOT_ENABLED
                        : "usage".equals(code) || "invalid-config".equals(code) || "root-required".equals(code)
                                ? ExitCodes.USAGE : ExitCodes.FAILED;
                return null;
            }
            return (Map<?, ?>) response.get("result");
        }

        int failure = ExitCodes.FAILED;

        PrintWriter out() {
            return spec.commandLine().getOut();
        }
    }

    @Command(name = "enable", mixinStandardHelpOptions = true,
            description = {"Enroll this machine with a Patchfleet server, as 'canonical-livepatch enable' does.",
                    "The publisher's root must be pinned (--root-sha256, the SHA-256 of the publisher's root.json, which "
                            + "'patchfleet publisher status' prints); the root the server hands out is refused unless it matches. "
                            + "Trusting it on first use is possible only with --trust-on-first-use, and status shows it."},
            exitCodeListHeading = "%nExit codes:%n",
            exitCodeList = {"0:enabled", "2:bad usage (no root pin, bad URL)", "3:the client daemon is not running",
                    "4:the server refused the token, is unreachable, or its publisher root does not match the pin"})
    public static final class Enable extends DaemonVerb {
        @Parameters(index = "0", paramLabel = "TOKEN", description = "Enrollment token from the server's admin")
        String token;

        @Option(names = "--server", paramLabel = "URL", description = "Server base URL (default: the remote-server setting)")
        String server;

        @Option(names = "--root-sha256", paramLabel = "HEX", description = "SHA-256 of the publisher's root.json to pin")
        String rootSha256;

        @Option(names = "--trust-on-first-use", description = "Trust the publisher root the server hands out (explicit; shown in status)")
        boolean trustOnFirstUse;

        public Enable(Path home) {
            super(home);
        }

        @Override
        public Integer call() throws Exception {
            Map<String, Object> args = new LinkedHashMap<>();
            args.put("token", token);
            args.put("server", server);
            args.put("rootSha256", rootSha256);
            args.put("trustOnFirstUse", trustOnFirstUse);
            Map<?, ?> r = call("enable", args);
            if (r == null) {
                return failure;
            }
            out().println("Enabled: machine " + r.get("machineId") + ", tier " + r.get("tier") + ", server " + r.get("server")
                    + ", publisher root " + r.get("trust"));
            out().flush();
            return ExitCodes.OK;
        }
    }

    @Command(name = "disable", mixinStandardHelpOptions = true,
            description = "Forget this machine's enrollment (credential, trusted metadata). The applied patch stays in the "
                    + "kernel unless --unload is given.",
            exitCodeListHeading = "%nExit codes:%n",
            exitCodeList = {"0:disabled", "1:the machine was not enabled", "3:the client daemon is not running",
                    "4:failed"})
    public static final class Disable extends DaemonVerb {
        @Option(names = "--unload", description = "Also disable and unload the applied patch")
        boolean unload;

        public Disable(Path home) {
            super(home);
        }

        @Override
        public Integer call() throws Exception {
            Map<?, ?> r = call("disable", Map.of("unload", unload));
            if (r == null) {
                return failure;
            }
            out().println("Disabled." + (unload ? " The applied patch was unloaded." : ""));
            out().flush();
            return ExitCodes.OK;
        }
    }

    @Command(name = "refresh", mixinStandardHelpOptions = true,
            description = "Check in with the server now (and apply what it directs).",
            exitCodeListHeading = "%nExit codes:%n",
            exitCodeList = {"0:the check-in was queued (or, with --wait, succeeded)", "1:the machine is not enabled",
                    "3:the client daemon is not running", "4:the check-in failed (with --wait), or the run mode forbids it"})
    public static final class Refresh extends DaemonVerb {
        @Option(names = "--wait", description = "Wait until the check-in (and any apply) finished, then show the status")
        boolean await;

        @Option(names = "--clear-crash", description = "Allow a patch the crash guard blocked to be applied again")
        boolean clearCrash;

        @Option(names = "--format", paramLabel = "FORMAT", defaultValue = "humane", description = "With --wait: humane, json or yaml")
        Output.Format format;

        public Refresh(Path home) {
            super(home);
        }

        @Override
        public Integer call() throws Exception {
            Map<?, ?> r = call("refresh", Map.of("wait", await, "clearCrash", clearCrash));
            if (r == null) {
                return failure;
            }
            if (!await) {
                out().println("Check-in queued; 'patchfleet status' shows its outcome.");
            } else if (!Output.writeStructured(out(), format, r)) {
                Object kernel = r.get("kernel");
                if (kernel instanceof Map<?, ?> k) {
                    out().println("check state: " + k.get("checkState") + ", patch state: " + k.get("patchState")
                            + (k.get("patchVersion") == null ? "" : ", patch version: " + k.get("patchVersion")));
                }
                if (r.get("message") != null) {
                    out().println(r.get("message"));
                }
            }
            out().flush();
            // With --wait the outcome decides the exit code, as documented: a failed check-in is 4.
            if (await && r.get("kernel") instanceof Map<?, ?> k && "check-failed".equals(k.get("checkState"))) {
                return ExitCodes.FAILED;
            }
            return ExitCodes.OK;
        }
    }

    @Command(name = "config", mixinStandardHelpOptions = true,
            description = {"Show or change the client's settings (Canonical's keys): remote-server, check-interval, http-proxy, "
                    + "https-proxy, no-proxy, ca-certs, dial-timeout, cutoff-date, patch-delay, log-level, kernel.",
                    "'key=' clears a key (its default applies); 'key=@stdin' reads the value from standard input "
                            + "(ca-certs=@stdin takes PEM text). Values are checked by the daemon; the file "
                            + "DATA/etc/io.patchfleet.client.cfg is rewritten and applied without a restart."},
            exitCodeListHeading = "%nExit codes:%n",
            exitCodeList = {"0:done", "2:unknown key or invalid value", "3:the client daemon is not running"})
    public static final class Config extends DaemonVerb {
        @Parameters(paramLabel = "KEY=VALUE", arity = "0..*", description = "Settings to change")
        List<String> pairs = List.of();

        @Option(names = "--format", paramLabel = "FORMAT", defaultValue = "humane", description = "humane, json or yaml")
        Output.Format format;

        private final InputStream stdin;

        public Config(Path home, InputStream stdin) {
            super(home);
            this.stdin = stdin;
        }

        @Override
        public Integer call() throws Exception {
            Map<String, Object> set = new LinkedHashMap<>();
            for (String pair : pairs) {
                int eq = pair.indexOf('=');
                if (eq <= 0) {
                    spec.commandLine().getErr().println("patchfleet config: '" + pair + "' is not KEY=VALUE");
                    return ExitCodes.USAGE;
                }
                String value = pair.substring(eq + 1);
                if (value.equals("@stdin")) {
                    value = new BufferedReader(new InputStreamReader(stdin, StandardCharsets.UTF_8)).lines()
                            .collect(Collectors.joining("\n"));
                }
                set.put(pair.substring(0, eq).trim(), value);
            }
            Map<?, ?> r = call("config", Map.of("set", set));
            if (r == null) {
                return failure;
            }
            if (!Output.writeStructured(out(), format, r)) {
                r.forEach((k, v) -> out().println(k + ": " + (v == null || "".equals(v) ? "(default)" : v)));
            }
            out().flush();
            return ExitCodes.OK;
        }
    }

    @Command(name = "kernel-upgrade-required", mixinStandardHelpOptions = true,
            description = "Say whether this kernel must be upgraded to receive patches (for a login message hook).",
            exitCodeListHeading = "%nExit codes:%n",
            exitCodeList = {"0:an upgrade is required (kernel-upgrade-required or kernel-end-of-life)",
                    "1:no upgrade is required", "3:the client daemon is not running"})
    public static final class KernelUpgradeRequired extends DaemonVerb {
        public KernelUpgradeRequired(Path home) {
            super(home);
        }

        @Override
        public Integer call() throws Exception {
            Map<?, ?> r = call("kernel-upgrade-required", Map.of());
            if (r == null) {
                return failure == ExitCodes.NOT_ENABLED ? ExitCodes.UPGRADE_NOT_REQUIRED : failure;
            }
            boolean required = Boolean.TRUE.equals(r.get("required"));
            out().println(required ? "A kernel upgrade is required (" + r.get("support") + ")."
                    : "No kernel upgrade is required (" + r.get("support") + ").");
            out().flush();
            return required ? ExitCodes.OK : ExitCodes.UPGRADE_NOT_REQUIRED;
        }
    }
}
