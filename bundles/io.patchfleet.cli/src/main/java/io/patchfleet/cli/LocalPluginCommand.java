package io.patchfleet.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code patchfleet plugin …}: the same verbs as {@code patchfleet admin plugin …}, against the
 * local client daemon through its control socket (owner-only, so whoever may use the socket may
 * manage the client's bundles). Built as a {@link CommandLine} because its verbs need the
 * distribution folder to find the daemon's data directory.
 */
public final class LocalPluginCommand {
    private LocalPluginCommand() {}

    @Command(name = "plugin", mixinStandardHelpOptions = true,
            description = {"Bundles and configuration of the local client daemon, through its control socket:",
                "list, show, install, update, start, stop, uninstall; config get/set/delete. Same checks as on a server:",
                "signed jars only (JAR.sig beside the jar), values checked against the metatype, rollback on failure."},
            commandListHeading = "%nCommands:%n",
            exitCodeListHeading = "%nExit codes:%n",
            exitCodeList = {"0:success", "2:bad usage or an invalid configuration value", "3:the client daemon is not running",
                "4:refused (unsigned, bad or untrusted signature, not found, protected) or rolled back; the message says why"},
            footer = {"", "Examples:", "  sudo patchfleet plugin list",
                "  sudo patchfleet plugin update io.patchfleet.kernel.linux ./io.patchfleet.kernel.linux-1.0.1.jar",
                "  sudo patchfleet plugin config set io.patchfleet.client check.interval=30"})
    static final class Root implements Runnable {
        @picocli.CommandLine.Spec
        picocli.CommandLine.Model.CommandSpec spec;

        @Override
        public void run() {
            spec.commandLine().usage(spec.commandLine().getOut());
        }
    }

    @Command(name = "config", mixinStandardHelpOptions = true, description = "Configuration of the local client, checked against the metatype.",
            commandListHeading = "%nCommands:%n",
            footer = {"", "Example:", "  sudo patchfleet plugin config get io.patchfleet.client"})
    static final class ConfigRoot implements Runnable {
        @picocli.CommandLine.Spec
        picocli.CommandLine.Model.CommandSpec spec;

        @Override
        public void run() {
            spec.commandLine().usage(spec.commandLine().getOut());
        }
    }

    /** The command tree with its verbs. */
    public static CommandLine commandLine(Path home) {
        CommandLine root = new CommandLine(new Root());
        root.addSubcommand(new ListVerb(home));
        root.addSubcommand(new Show(home));
        root.addSubcommand(new Install(home));
        root.addSubcommand(new Update(home));
        root.addSubcommand("start", simple(home, "start", "Start a bundle of the client; stopped again if its components fail."));
        root.addSubcommand("stop", simple(home, "stop", "Stop a bundle of the client; it stays stopped across restarts."));
        root.addSubcommand("uninstall", simple(home, "uninstall", "Uninstall a bundle an admin installed; profile bundles can only be stopped."));
        CommandLine config = new CommandLine(new ConfigRoot());
        config.addSubcommand(new ConfigGet(home));
        config.addSubcommand(new ConfigSet(home));
        config.addSubcommand(new ConfigDelete(home));
        root.addSubcommand(config);
        return root;
    }

    private static CommandLine simple(Path home, String action, String description) {
        CommandLine cl = new CommandLine(new Simple(home, action));
        cl.getCommandSpec().name(action);
        cl.getCommandSpec().usageMessage().description(description);
        cl.getCommandSpec().usageMessage().footer("", "Example:", "  sudo patchfleet plugin " + action + " com.acme.kernel.applier");
        return cl;
    }

    abstract static class Verb extends ClientVerbs.DaemonVerb {
        @Option(names = "--format", paramLabel = "FORMAT", defaultValue = "table", description = "table, json or yaml (default: ${DEFAULT-VALUE})")
        Output.Format format;

        Verb(Path home) {
            super(home);
        }

        abstract Map<String, Object> arguments() throws IOException;

        @Override
        public Integer call() throws Exception {
            Map<String, Object> args;
            try {
                args = arguments();
            } catch (IllegalArgumentException | IOException e) {
                spec.commandLine().getErr().println("patchfleet plugin: " + e.getMessage());
                spec.commandLine().getErr().flush();
                return ExitCodes.USAGE;
            }
            Map<?, ?> r = call("plugin", args);
            if (r == null) {
                return failure;
            }
            print(r);
            out().flush();
            return ExitCodes.OK;
        }

        void print(Map<?, ?> r) {
            if (!Output.writeStructured(out(), format, r)) {
                r.forEach((k, v) -> {
                    if (!(v instanceof List<?>) && !(v instanceof Map<?, ?>)) {
                        out().println(k + ": " + v);
                    }
                });
            }
        }
    }

    static Map<String, Object> args(String action, Object... pairs) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("action", action);
        for (int i = 0; i < pairs.length; i += 2) {
            m.put((String) pairs[i], pairs[i + 1]);
        }
        return m;
    }

    static String signature(Path jar, Path signature) throws IOException {
        Path sig = signature != null ? signature : jar.resolveSibling(jar.getFileName() + ".sig");
        if (Files.isRegularFile(sig)) {
            return Files.readString(sig, StandardCharsets.UTF_8);
        }
        if (signature != null) {
            throw new IllegalArgumentException("No such file: " + signature);
        }
        return null;
    }

    static Path jarPath(Path jar) {
        Path abs = jar.toAbsolutePath().normalize();
        if (!Files.isRegularFile(abs)) {
            throw new IllegalArgumentException("No such file: " + jar);
        }
        return abs;
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "Every bundle of the client: id, symbolic name, version, state, signer, services.",
            footer = {"", "Example:", "  sudo patchfleet plugin list --format json"})
    static final class ListVerb extends Verb {
        ListVerb(Path home) {
            super(home);
        }

        @Override
        Map<String, Object> arguments() {
            return args("list");
        }

        @Override
        void print(Map<?, ?> r) {
            if (Output.writeStructured(out(), format, r)) {
                return;
            }
            List<Map<String, Object>> rows = new ArrayList<>();
            for (Object o : (List<?>) r.get("plugins")) {
                Map<?, ?> p = (Map<?, ?>) o;
                Map<String, Object> row = new LinkedHashMap<>();
                for (String c : PluginCommand.COLUMNS) {
                    row.put(c, p.get(c));
                }
                row.put("services", p.get("services") instanceof List<?> l ? l.size() : 0);
                rows.add(row);
            }
            Output.table(out(), rows);
            if (Boolean.TRUE.equals(r.get("allowUnsigned"))) {
                out().println("WARNING: this client accepts unsigned plugins (allow.unsigned = true)");
            }
        }
    }

    @Command(name = "show", mixinStandardHelpOptions = true, description = "One bundle with its components and services.",
            footer = {"", "Example:", "  sudo patchfleet plugin show io.patchfleet.client --format yaml"})
    static final class Show extends Verb {
        @Parameters(paramLabel = "BUNDLE", description = "Bundle id or symbolic name")
        String bundle;

        Show(Path home) {
            super(home);
        }

        @Override
        Map<String, Object> arguments() {
            return args("show", "bundle", bundle);
        }
    }

    @Command(name = "install", mixinStandardHelpOptions = true, description = "Install a signed plugin jar into the client and start it; rolled back on failure.",
            footer = {"", "Example:", "  sudo patchfleet plugin install ./acme-applier.jar     # with ./acme-applier.jar.sig"})
    static final class Install extends Verb {
        @Parameters(paramLabel = "JAR", description = "The plugin jar")
        Path jar;

        @Option(names = "--signature", paramLabel = "FILE", description = "Its signature (default: JAR.sig beside it)")
        Path signature;

        Install(Path home) {
            super(home);
        }

        @Override
        Map<String, Object> arguments() throws IOException {
            return args("install", "jar", jarPath(jar).toString(), "signature", signature(jar, signature));
        }
    }

    @Command(name = "update", mixinStandardHelpOptions = true, description = "Replace a bundle of the client with a signed jar; rolled back on failure.",
            footer = {"", "Example:", "  sudo patchfleet plugin update io.patchfleet.kernel.linux ./io.patchfleet.kernel.linux-1.0.1.jar"})
    static final class Update extends Verb {
        @Parameters(index = "0", paramLabel = "BUNDLE", description = "Bundle id or symbolic name")
        String bundle;

        @Parameters(index = "1", paramLabel = "JAR", description = "The new jar")
        Path jar;

        @Option(names = "--signature", paramLabel = "FILE", description = "Its signature (default: JAR.sig beside it)")
        Path signature;

        Update(Path home) {
            super(home);
        }

        @Override
        Map<String, Object> arguments() throws IOException {
            return args("update", "bundle", bundle, "jar", jarPath(jar).toString(), "signature", signature(jar, signature));
        }
    }

    /** start, stop, uninstall: one bundle argument. */
    @Command(mixinStandardHelpOptions = true)
    static final class Simple extends Verb {
        @Parameters(paramLabel = "BUNDLE", description = "Bundle id or symbolic name")
        String bundle;

        private final String action;

        Simple(Path home, String action) {
            super(home);
            this.action = action;
        }

        @Override
        Map<String, Object> arguments() {
            return args(action, "bundle", bundle);
        }

    }

    @Command(name = "get", mixinStandardHelpOptions = true, description = "Show a PID's configuration and its metatype.",
            footer = {"", "Example:", "  sudo patchfleet plugin config get io.patchfleet.client"})
    static final class ConfigGet extends Verb {
        @Parameters(paramLabel = "PID", description = "The configuration PID")
        String pid;

        ConfigGet(Path home) {
            super(home);
        }

        @Override
        Map<String, Object> arguments() {
            return args("config-get", "pid", pid);
        }

        @Override
        void print(Map<?, ?> r) {
            if (Output.writeStructured(out(), format, r)) {
                return;
            }
            out().println("pid: " + r.get("pid") + (Boolean.TRUE.equals(r.get("exists")) ? "" : " (no configuration: defaults apply)"));
            if (r.get("properties") instanceof Map<?, ?> props) {
                props.forEach((k, v) -> out().println("  " + k + " = " + v));
            }
        }
    }

    @Command(name = "set", mixinStandardHelpOptions = true,
            description = "Set properties of a PID; every value is checked against the metatype first, and one invalid value applies none.",
            footer = {"", "Example:", "  sudo patchfleet plugin config set io.patchfleet.client check.interval=30"})
    static final class ConfigSet extends Verb {
        @Parameters(index = "0", paramLabel = "PID", description = "The configuration PID")
        String pid;

        @Parameters(index = "1..*", arity = "1..*", paramLabel = "KEY=VALUE", description = "Properties to set")
        List<String> assignments;

        ConfigSet(Path home) {
            super(home);
        }

        @Override
        Map<String, Object> arguments() {
            Map<String, String> values = new LinkedHashMap<>();
            for (String a : assignments) {
                int eq = a.indexOf('=');
                if (eq <= 0) {
                    throw new IllegalArgumentException("Expected KEY=VALUE, got \"" + a + "\"");
                }
                values.put(a.substring(0, eq).strip(), a.substring(eq + 1));
            }
            return args("config-set", "pid", pid, "values", values);
        }
    }

    @Command(name = "delete", mixinStandardHelpOptions = true, description = "Delete a PID's configuration; the component falls back to its defaults.",
            footer = {"", "Example:", "  sudo patchfleet plugin config delete io.patchfleet.kernel.simulated"})
    static final class ConfigDelete extends Verb {
        @Parameters(paramLabel = "PID", description = "The configuration PID")
        String pid;

        ConfigDelete(Path home) {
            super(home);
        }

        @Override
        Map<String, Object> arguments() {
            return args("config-delete", "pid", pid);
        }
    }
}
