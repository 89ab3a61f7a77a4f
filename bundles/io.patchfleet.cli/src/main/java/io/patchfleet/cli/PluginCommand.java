package io.patchfleet.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code patchfleet admin plugin …}: the server's bundles and configuration at run time, through
 * {@code /v1/admin/plugins} and {@code /v1/admin/config}. Changes are transactional on the server:
 * a plugin that does not start, or whose components do not come up, is rolled back and the
 * command says what failed (exit 4).
 */
@Command(name = "plugin", mixinStandardHelpOptions = true,
        description = {"Bundles and configuration of a running server: list, install, update, start, stop, uninstall; config get/set/delete.",
            "Jars must be signed ('patchfleet publisher plugin sign'); JAR.sig beside the jar is sent with it."},
        commandListHeading = "%nCommands:%n",
        subcommands = {PluginCommand.ListPlugins.class, PluginCommand.Show.class, PluginCommand.Install.class,
            PluginCommand.Update.class, PluginCommand.Start.class, PluginCommand.Stop.class, PluginCommand.Uninstall.class,
            PluginCommand.Config.class},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:success", "2:bad usage, an invalid configuration value, or not a bundle (400)",
            "4:refused (unsigned, bad or untrusted signature) or rolled back; the message says what failed",
            "5:not logged in or role refused", "6:no such bundle or PID", "7:conflict: installed already, a profile or platform bundle"},
        footer = {"", "Examples:", "  patchfleet admin plugin list",
            "  patchfleet admin plugin update io.patchfleet.rollout.tiers build/io.patchfleet.rollout.tiers.jar",
            "  patchfleet admin plugin config set io.patchfleet.server.machines checkin.interval.seconds=1800"})
final class PluginCommand implements Runnable {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    static String path(String bundle) {
        return "/v1/admin/plugins/" + AdminClient.encode(bundle);
    }

    /** The upload body: the jar in base64 and its signature text (JAR.sig or --signature), if any. */
    static Map<String, Object> upload(Path jar, Path signature) throws AdminClient.Failure {
        Map<String, Object> body = new LinkedHashMap<>();
        try {
            body.put("jar", Base64.getEncoder().encodeToString(Files.readAllBytes(jar)));
        } catch (NoSuchFileException e) {
            throw new AdminClient.Failure(ExitCodes.USAGE, "No such file: " + jar);
        } catch (IOException e) {
            throw new AdminClient.Failure(ExitCodes.USAGE, "Cannot read " + jar + ": " + e.getMessage());
        }
        Path sig = signature != null ? signature : jar.resolveSibling(jar.getFileName() + ".sig");
        if (Files.isRegularFile(sig)) {
            try {
                body.put("signature", Files.readString(sig, StandardCharsets.UTF_8));
            } catch (IOException e) {
                throw new AdminClient.Failure(ExitCodes.USAGE, "Cannot read " + sig + ": " + e.getMessage());
            }
        } else if (signature != null) {
            throw new AdminClient.Failure(ExitCodes.USAGE, "No such file: " + signature);
        }
        return body;
    }

    static final List<String> COLUMNS = List.of("id", "symbolicName", "version", "state", "signer", "services");

    @Command(name = "list", mixinStandardHelpOptions = true, description = "Every bundle: id, symbolic name, version, state, signer, services it provides (role auditor).",
            footer = {"", "Example:", "  patchfleet admin plugin list --format json"})
    static final class ListPlugins extends AdminCommand.Verb {
        @Override
        Object execute(AdminClient c) throws AdminClient.Failure {
            return c.get("/v1/admin/plugins");
        }

        @Override
        String listKey() {
            return "plugins";
        }

        @Override
        List<String> columns() {
            return COLUMNS;
        }

        @Override
        void print(Object result) {
            if (Output.writeStructured(out(), common.format, result)) {
                return;
            }
            List<Map<String, Object>> rows = new java.util.ArrayList<>();
            for (Object o : (List<?>) ((Map<?, ?>) result).get("plugins")) {
                Map<String, Object> row = row((Map<?, ?>) o, COLUMNS);
                row.put("services", ((Map<?, ?>) o).get("services") instanceof List<?> l ? l.size() : 0);
                rows.add(row);
            }
            Output.table(out(), rows);
            if (Boolean.TRUE.equals(((Map<?, ?>) result).get("allowUnsigned"))) {
                out().println("WARNING: this server accepts unsigned plugins (allow.unsigned = true)");
            }
            out().flush();
        }
    }

    @Command(name = "show", mixinStandardHelpOptions = true, description = "One bundle with its components and services (role auditor).",
            footer = {"", "Example:", "  patchfleet admin plugin show io.patchfleet.store.jdbc --format yaml"})
    static final class Show extends AdminCommand.Verb {
        @Parameters(paramLabel = "BUNDLE", description = "Bundle id or symbolic name")
        String bundle;

        @Override
        Object execute(AdminClient c) throws AdminClient.Failure {
            return c.get(path(bundle));
        }
    }

    @Command(name = "install", mixinStandardHelpOptions = true,
            description = {"Install a signed plugin jar and start it (role admin). Rolled back if it does not resolve, start,",
                "or its components are not satisfied within the server's transaction timeout."},
            footer = {"", "Example:", "  patchfleet publisher plugin sign --key acme.key my-policy.jar",
                "  patchfleet admin plugin install my-policy.jar"})
    static final class Install extends AdminCommand.Verb {
        @Parameters(paramLabel = "JAR", description = "The plugin jar")
        Path jar;

        @Option(names = "--signature", paramLabel = "FILE", description = "Its signature (default: JAR.sig beside it)")
        Path signature;

        @Override
        Object execute(AdminClient c) throws AdminClient.Failure {
            return c.post("/v1/admin/plugins", upload(jar, signature));
        }

        @Override
        List<String> columns() {
            return COLUMNS;
        }
    }

    @Command(name = "update", mixinStandardHelpOptions = true,
            description = {"Replace a bundle with a signed jar of the same symbolic name (role admin). If the new bundle or any",
                "component that was satisfied before fails, the previous bundle and configuration are put back."},
            footer = {"", "Example:", "  patchfleet admin plugin update io.patchfleet.rollout.tiers io.patchfleet.rollout.tiers-1.0.1.jar"})
    static final class Update extends AdminCommand.Verb {
        @Parameters(index = "0", paramLabel = "BUNDLE", description = "Bundle id or symbolic name")
        String bundle;

        @Parameters(index = "1", paramLabel = "JAR", description = "The new jar")
        Path jar;

        @Option(names = "--signature", paramLabel = "FILE", description = "Its signature (default: JAR.sig beside it)")
        Path signature;

        @Override
        Object execute(AdminClient c) throws AdminClient.Failure {
            return c.put(path(bundle), upload(jar, signature));
        }
    }

    @Command(name = "start", mixinStandardHelpOptions = true, description = "Start a bundle; stopped again if its components fail (role admin).",
            footer = {"", "Example:", "  patchfleet admin plugin start com.acme.rollout.quiet-hours"})
    static final class Start extends AdminCommand.Verb {
        @Parameters(paramLabel = "BUNDLE", description = "Bundle id or symbolic name")
        String bundle;

        @Override
        Object execute(AdminClient c) throws AdminClient.Failure {
            return c.post(path(bundle) + "/start", Map.of());
        }
    }

    @Command(name = "stop", mixinStandardHelpOptions = true, description = "Stop a bundle; it stays stopped across restarts (role admin).",
            footer = {"", "Example:", "  patchfleet admin plugin stop com.acme.rollout.quiet-hours"})
    static final class Stop extends AdminCommand.Verb {
        @Parameters(paramLabel = "BUNDLE", description = "Bundle id or symbolic name")
        String bundle;

        @Override
        Object execute(AdminClient c) throws AdminClient.Failure {
            return c.post(path(bundle) + "/stop", Map.of());
        }
    }

    @Command(name = "uninstall", mixinStandardHelpOptions = true,
            description = "Uninstall a bundle an admin installed (role admin); profile bundles can only be stopped.",
            footer = {"", "Example:", "  patchfleet admin plugin uninstall com.acme.rollout.quiet-hours"})
    static final class Uninstall extends AdminCommand.Verb {
        @Parameters(paramLabel = "BUNDLE", description = "Bundle id or symbolic name")
        String bundle;

        @Override
        Object execute(AdminClient c) throws AdminClient.Failure {
            return c.delete(path(bundle));
        }
    }

    @Command(name = "config", mixinStandardHelpOptions = true,
            description = "Configuration (Configuration Admin) of a running server, checked against each component's metatype (role admin).",
            commandListHeading = "%nCommands:%n",
            subcommands = {ConfigGet.class, ConfigSet.class, ConfigDelete.class},
            footer = {"", "Examples:", "  patchfleet admin plugin config get io.patchfleet.server.http",
                "  patchfleet admin plugin config set io.patchfleet.server.http max.concurrent.requests=256"})
    static final class Config implements Runnable {
        @picocli.CommandLine.Spec
        picocli.CommandLine.Model.CommandSpec spec;

        @Override
        public void run() {
            spec.commandLine().usage(spec.commandLine().getOut());
        }
    }

    static String configPath(String pid) {
        return "/v1/admin/config/" + AdminClient.encode(pid);
    }

    @Command(name = "get", mixinStandardHelpOptions = true, description = "Show a PID's configuration (passwords masked) and what its metatype allows.",
            footer = {"", "Example:", "  patchfleet admin plugin config get io.patchfleet.server.machines --format json"})
    static final class ConfigGet extends AdminCommand.Verb {
        @Parameters(paramLabel = "PID", description = "The configuration PID")
        String pid;

        @Override
        Object execute(AdminClient c) throws AdminClient.Failure {
            return c.get(configPath(pid));
        }

        @Override
        void print(Object result) {
            printConfig(this, result);
        }
    }

    static void printConfig(AdminCommand.Verb verb, Object result) {
        java.io.PrintWriter out = verb.out();
        {
            if (Output.writeStructured(out, verb.common.format, result)) {
                return;
            }
            Map<?, ?> map = (Map<?, ?>) result;
            out.println("pid:    " + map.get("pid") + (Boolean.TRUE.equals(map.get("exists")) ? "" : " (no configuration: defaults apply)"));
            if (map.get("properties") instanceof Map<?, ?> props) {
                props.forEach((k, v) -> out.println("  " + k + " = " + AdminCommand.Verb.cell(v)));
            }
            if (map.get("attributes") instanceof List<?> attrs && !attrs.isEmpty()) {
                out.println("metatype:");
                for (Object o : attrs) {
                    Map<?, ?> a = (Map<?, ?>) o;
                    out.println("  " + a.get("id") + " (" + a.get("type") + ", default " + AdminCommand.Verb.cell(a.get("defaultValue")) + ")"
                            + (a.get("description") == null ? "" : ": " + a.get("description")));
                }
            }
            out.flush();
        }
    }

    @Command(name = "set", mixinStandardHelpOptions = true,
            description = {"Set properties of a PID (merged into its configuration). Every value is checked against the metatype first;",
                "one invalid value refuses all of them and nothing is applied. Lists are comma-separated."},
            footer = {"", "Example:", "  patchfleet admin plugin config set io.patchfleet.server.http max.concurrent.requests=256 queue.timeout.ms=100"})
    static final class ConfigSet extends AdminCommand.Verb {
        @Parameters(index = "0", paramLabel = "PID", description = "The configuration PID")
        String pid;

        @Parameters(index = "1..*", arity = "1..*", paramLabel = "KEY=VALUE", description = "Properties to set")
        List<String> assignments;

        @Override
        Object execute(AdminClient c) throws AdminClient.Failure {
            Map<String, String> values = new LinkedHashMap<>();
            for (String a : assignments) {
                int eq = a.indexOf('=');
                if (eq <= 0) {
                    throw new AdminClient.Failure(ExitCodes.USAGE, "Expected KEY=VALUE, got \"" + a + "\"");
                }
                values.put(a.substring(0, eq).strip(), a.substring(eq + 1));
            }
            return c.put(configPath(pid), Map.of("values", values));
        }

        @Override
        void print(Object result) {
            printConfig(this, result);
        }
    }

    @Command(name = "delete", mixinStandardHelpOptions = true, description = "Delete a PID's configuration (and its file); the component falls back to its defaults.",
            footer = {"", "Example:", "  patchfleet admin plugin config delete io.patchfleet.server.retention"})
    static final class ConfigDelete extends AdminCommand.Verb {
        @Parameters(paramLabel = "PID", description = "The configuration PID")
        String pid;

        @Override
        Object execute(AdminClient c) throws AdminClient.Failure {
            return c.delete(configPath(pid));
        }
    }
}
