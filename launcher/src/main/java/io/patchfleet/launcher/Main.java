package io.patchfleet.launcher;

import java.nio.file.Path;

import io.patchfleet.cli.ExitCodes;
import io.patchfleet.cli.StatusCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.IVersionProvider;

/** The {@code patchfleet} command. */
@Command(name = "patchfleet", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Live kernel patches for fleets of Linux machines.",
        commandListHeading = "%nCommands:%n",
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:success", "1:the machine is not enabled (status)", "2:bad usage",
                "3:the client daemon is not running or not reachable", "4:the command failed",
                "5:not logged in or credentials refused (admin)", "6:not found (admin)", "7:conflict (admin)",
                "8:the repository does not verify (publisher verify)", "9:a signing key is missing or cannot be unlocked (publisher)"},
        footer = {"", "Run 'patchfleet COMMAND --help' for the options of a command."})
public final class Main {

    /** The version of this build, from the launcher jar's manifest. */
    public static String version() {
        String v = Main.class.getPackage().getImplementationVersion();
        return v == null ? "development" : v;
    }

    static final class Version implements IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"patchfleet " + version(), "Java " + Runtime.version() + " (" + System.getProperty("java.vendor") + ")"};
        }
    }

    /** The distribution folder: {@code patchfleet.home}, else the parent of the launcher jar's folder. */
    static Path home() {
        String prop = System.getProperty("patchfleet.home");
        if (prop != null && !prop.isBlank()) {
            return Path.of(prop).toAbsolutePath().normalize();
        }
        try {
            Path jar = Path.of(Main.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            return jar.getParent().getParent();
        } catch (Exception e) {
            return Path.of(".").toAbsolutePath();
        }
    }

    public static CommandLine commandLine() {
        Path home = home();
        CommandLine cl = new CommandLine(new Main());
        cl.addSubcommand(new ProfileCommand.Server(home));
        cl.addSubcommand(new ProfileCommand.Client(home));
        cl.addSubcommand(new StatusCommand(home));
        for (Object verb : io.patchfleet.cli.ClientVerbs.all(home)) {
            cl.addSubcommand(verb);
        }
        cl.addSubcommand(new io.patchfleet.cli.AdminCommand());
        cl.addSubcommand(new io.patchfleet.cli.publisher.PublisherCommand());
        cl.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            commandLine.getErr().println("patchfleet: " + e.getMessage());
            return ExitCodes.FAILED;
        });
        return cl;
    }

    /**
     * Starting a daemon needs only its own command: building the whole command-line model (every
     * admin and publisher verb) took about a fifth of the client daemon's start-up CPU.
     */
    static CommandLine profileCommandLine(String profile) {
        Path home = home();
        CommandLine cl = new CommandLine(new Main());
        cl.addSubcommand("server".equals(profile) ? new ProfileCommand.Server(home) : new ProfileCommand.Client(home));
        cl.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            commandLine.getErr().println("patchfleet: " + e.getMessage());
            return ExitCodes.FAILED;
        });
        return cl;
    }

    /**
     * {@code patchfleet client} with only the daemon's own options ({@code --data}, {@code --config},
     * {@code --ready-timeout}, {@code --once}, as {@code --opt VALUE} or {@code --opt=VALUE}): the
     * command, else null — then picocli parses the arguments (help, version, errors and their
     * messages stay picocli's). Why: picocli's classes stay loaded for the daemon's whole life and
     * cannot go into the class-data archive (its class files predate Java 6, which CDS refuses):
     * ~170 classes parsed at every start and kept in metaspace, plus its command model in the
     * heap, for three options (BENCHMARKS.md, client footprint).
     */
    static ProfileCommand.Client plainClientCommand(String[] args) {
        if (args.length == 0 || !"client".equals(args[0])) {
            return null;
        }
        ProfileCommand.Client client = new ProfileCommand.Client(home());
        for (int i = 1; i < args.length; i++) {
            String arg = args[i];
            if ("--once".equals(arg)) {
                client.once = true;
                continue;
            }
            int eq = arg.indexOf('=');
            String name = eq > 0 ? arg.substring(0, eq) : arg;
            if (!name.equals("--data") && !name.equals("--config") && !name.equals("--ready-timeout")) {
                return null;
            }
            String value;
            if (eq > 0) {
                value = arg.substring(eq + 1);
            } else if (i + 1 < args.length && !args[i + 1].startsWith("-")) {
                value = args[++i];
            } else {
                return null;
            }
            if (value.isEmpty()) {
                return null;
            }
            switch (name) {
                case "--data" -> client.data = Path.of(value);
                case "--config" -> client.config = Path.of(value);
                default -> {
                    try {
                        client.readyTimeout = Integer.parseInt(value);
                    } catch (NumberFormatException e) {
                        return null;
                    }
                }
            }
        }
        return client;
    }

    public static void main(String[] args) {
        ProfileCommand.Client plain = plainClientCommand(args);
        if (plain != null) {
            int code;
            try {
                code = plain.call();
            } catch (Exception e) {
                // As picocli's execution exception handler below.
                System.err.println("patchfleet: " + e.getMessage());
                code = ExitCodes.FAILED;
            }
            System.exit(code);
        }
        boolean daemon = args.length > 0 && ("client".equals(args[0]) || "server".equals(args[0]));
        CommandLine cl = daemon ? profileCommandLine(args[0]) : commandLine();
        if (args.length == 0) {
            cl.usage(System.out);
            System.exit(ExitCodes.USAGE);
        }
        int code = cl.execute(args);
        // The profile commands return only once the framework has stopped.
        System.exit(code);
    }
}
