package io.patchfleet.launcher;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;

import io.patchfleet.cli.DataDirectories;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code patchfleet server} and {@code patchfleet client}: run a profile in the foreground. */
abstract class ProfileCommand implements Callable<Integer> {

    @Option(names = "--data", paramLabel = "DIR",
            description = "Data directory: framework storage, installed bundles, state (default: $PATCHFLEET_DATA, "
                    + "/var/lib/patchfleet/<profile> when installed, else ./data/<profile>)")
    Path data;

    @Option(names = "--config", paramLabel = "DIR",
            description = "Configuration directory of .cfg files, watched for changes (default: DATA/etc, filled with the profile's defaults on first start)")
    Path config;

    @Option(names = "--ready-timeout", paramLabel = "SECONDS", defaultValue = "60",
            description = "How long to wait for the profile to report ready before logging an error (default: ${DEFAULT-VALUE})")
    int readyTimeout = 60; // also the default of the plain daemon start (Main.plainClientCommand)

    final Path home;

    ProfileCommand(Path home) {
        this.home = home;
    }

    abstract String profile();

    /** The readiness marker this profile's bundles register when they serve. */
    abstract String readiness();

    Map<String, String> extraProperties() {
        return Map.of();
    }

    String readyDetail() {
        return "";
    }

    @Override
    public Integer call() throws Exception {
        Path dataDir = data != null ? data.toAbsolutePath().normalize() : DataDirectories.defaultFor(profile(), home);
        Path configDir = config != null ? config.toAbsolutePath().normalize() : dataDir.resolve("etc");
        FrameworkLauncher launcher = new FrameworkLauncher(home, profile(), dataDir, configDir, extraProperties());
        return launcher.run(readiness(), readyTimeout, readyDetail());
    }

    @Command(name = "server", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
            description = {"Run the Patchfleet server in the foreground.",
                    "Serves the HTTP API (health: GET /v1/health, metrics: GET /metrics). Stop with Ctrl-C or SIGTERM."})
    static final class Server extends ProfileCommand {
        @Option(names = "--port", paramLabel = "N", description = "HTTP port (default: $PATCHFLEET_PORT, else 8080)")
        Integer port;

        @Option(names = "--host", paramLabel = "ADDRESS", description = "Address to bind (default: $PATCHFLEET_HOST, else 127.0.0.1)")
        String host;

        Server(Path home) {
            super(home);
        }

        @Override
        String profile() {
            return "server";
        }

        @Override
        String readiness() {
            return "http";
        }

        String effectivePort() {
            if (port != null) {
                if (port < 0 || port > 65535) {
                    throw new IllegalArgumentException("--port must be 0..65535, not " + port);
                }
                return port.toString();
            }
            String env = System.getenv("PATCHFLEET_PORT");
            return env != null && !env.isBlank() ? env.trim() : "8080";
        }

        String effectiveHost() {
            if (host != null) {
                return host;
            }
            String env = System.getenv("PATCHFLEET_HOST");
            return env != null && !env.isBlank() ? env.trim() : "127.0.0.1";
        }

        @Override
        Map<String, String> extraProperties() {
            Map<String, String> props = new LinkedHashMap<>();
            props.put("patchfleet.http.port", effectivePort());
            props.put("patchfleet.http.host", effectiveHost());
            // Felix HTTP reads these framework properties. A configuration file
            // etc/org.apache.felix.http.cfg, if an operator writes one, takes precedence.
            props.put("org.osgi.service.http.port", effectivePort());
            props.put("org.apache.felix.http.host", effectiveHost());
            return props;
        }

        @Override
        String readyDetail() {
            return "http://" + (effectiveHost().contains(":") ? "[" + effectiveHost() + "]" : effectiveHost()) + ":" + effectivePort();
        }
    }

    @Command(name = "client", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
            description = {"Run the Patchfleet client daemon in the foreground.",
                    "Listens for the CLI on a Unix socket in DATA/run (owner only). Stop with Ctrl-C or SIGTERM."})
    static final class Client extends ProfileCommand {
        @Option(names = "--once", description = "Check in once (re-applying and applying what is due), then exit: "
                + "for a systemd timer or cron instead of a resident daemon")
        boolean once;

        Client(Path home) {
            super(home);
        }

        @Override
        Map<String, String> extraProperties() {
            return once ? Map.of("patchfleet.client.once", "true") : Map.of();
        }

        @Override
        String profile() {
            return "client";
        }

        @Override
        String readiness() {
            return "control";
        }
    }
}
