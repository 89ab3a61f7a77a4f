package io.patchfleet.cli.publisher;

import java.util.Objects;
import java.util.function.Function;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code patchfleet publisher}: keeps a TUF repository in a folder for a patch publisher. The
 * verbs are its subcommands; the environment is injected so tests can give a passphrase
 * without touching the process environment.
 */
@Command(name = "publisher", mixinStandardHelpOptions = true,
        description = {"Publish livepatch modules in a TUF repository folder, signed with the publisher's offline keys.",
            "Clients install only modules whose bytes match these signed targets; on-prem servers mirror the folder verbatim."},
        subcommands = {InitCommand.class, AddCommand.class, RevokeCommand.class, SignCommand.class,
            RotateKeyCommand.class, VerifyCommand.class, PublisherStatusCommand.class, SampleModuleCommand.class,
            PluginSigningCommand.class},
        commandListHeading = "%nCommands:%n",
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:success", "2:bad usage", "4:the command failed; the message says why",
            "8:verify: the repository does not verify (signature, expiry, version or target bytes)",
            "9:a signing key is missing or cannot be unlocked (wrong or missing passphrase)"},
        footer = {"", "Passphrase of encrypted keys: --passphrase-file FILE, else $PATCHFLEET_PASSPHRASE, else a prompt.",
            "", "Example:",
            "  patchfleet publisher init --repo ./repo",
            "  patchfleet publisher add --repo ./repo --cve CVE-2024-1086:high lkp_5_15_0_91_1.ko",
            "  patchfleet publisher verify --repo ./repo"})
public final class PublisherCommand implements Runnable {
    /** Environment variable holding the key passphrase, for automation. */
    public static final String PASSPHRASE_ENV = "PATCHFLEET_PASSPHRASE";

    private final Function<String, String> environment;

    /** The command on the process environment. */
    public PublisherCommand() {
        this(System::getenv);
    }

    /** The command on the given environment (tests, embedding). */
    public PublisherCommand(Function<String, String> environment) {
        this.environment = Objects.requireNonNull(environment, "environment");
    }

    String env(String name) {
        return environment.apply(name);
    }

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(),
                "a publisher command is required: init, add, revoke, sign, rotate-key, verify, status or sample-module");
    }
}
