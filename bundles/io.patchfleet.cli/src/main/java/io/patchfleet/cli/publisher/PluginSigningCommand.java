package io.patchfleet.cli.publisher;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.util.concurrent.Callable;

import io.patchfleet.cli.ExitCodes;
import io.patchfleet.platform.admin.PluginSignature;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code patchfleet publisher plugin keygen|sign|verify}: the plugin signing key and detached
 * signatures ({@link PluginSignature}). A server or client accepts a plugin jar only with a
 * signature by a key in its plugin trust store ({@code CONFIG/plugin-trust/NAME.pub}).
 */
@Command(name = "plugin", mixinStandardHelpOptions = true,
        description = {"Sign plugin jars for Patchfleet's runtime management (detached Ed25519 signature, NAME.jar.sig).",
            "A server or client installs a plugin only when its .sig verifies with a key of its plugin trust store."},
        subcommands = {PluginSigningCommand.Keygen.class, PluginSigningCommand.Sign.class, PluginSigningCommand.Verify.class},
        commandListHeading = "%nCommands:%n",
        footer = {"", "Example:", "  patchfleet publisher plugin keygen --name acme --out ./keys",
            "  patchfleet publisher plugin sign --key ./keys/acme.key my-rollout-policy.jar",
            "  scp ./keys/acme.pub server:/var/lib/patchfleet/server/etc/plugin-trust/"})
public final class PluginSigningCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    abstract static class Verb implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        PrintWriter out() {
            return spec.commandLine().getOut();
        }

        @Override
        public Integer call() {
            try {
                return run();
            } catch (PublisherException e) {
                spec.commandLine().getErr().println("patchfleet publisher plugin " + spec.name() + ": " + e.getMessage());
                return e.exitCode;
            } catch (IOException | GeneralSecurityException e) {
                spec.commandLine().getErr().println("patchfleet publisher plugin " + spec.name() + ": " + e.getMessage());
                return ExitCodes.FAILED;
            } finally {
                out().flush();
                spec.commandLine().getErr().flush();
            }
        }

        abstract int run() throws PublisherException, IOException, GeneralSecurityException;
    }

    @Command(name = "keygen", mixinStandardHelpOptions = true,
            description = {"Create a plugin signing key pair: NAME.key (private key, PKCS#8 PEM, with its public key; owner-only 0600) and NAME.pub",
                "(public, PEM). Put NAME.pub into the plugin trust store of every server and client that should accept",
                "plugins signed with it; keep NAME.key offline. NAME becomes the signer's name in 'admin plugin list'."},
            exitCodeListHeading = "%nExit codes:%n", exitCodeList = {"0:created", "2:bad usage", "4:failed (the files exist, I/O)"},
            footer = {"", "Example:", "  patchfleet publisher plugin keygen --name acme --out ./keys"})
    static final class Keygen extends Verb {
        @Option(names = "--name", required = true, paramLabel = "NAME", description = "The signer's name (letters, digits, '.', '_', '-')")
        String name;

        @Option(names = "--out", paramLabel = "DIR", defaultValue = ".", description = "Folder for NAME.key and NAME.pub (default: the current folder)")
        Path out;

        @Override
        int run() throws PublisherException, IOException, GeneralSecurityException {
            if (!name.matches("[A-Za-z0-9._-]{1,64}")) {
                throw new PublisherException(ExitCodes.USAGE, "--name: letters, digits, '.', '_' and '-' only (at most 64)");
            }
            Path key = out.resolve(name + ".key");
            Path pub = out.resolve(name + ".pub");
            if (Files.exists(key) || Files.exists(pub)) {
                throw new PublisherException(ExitCodes.FAILED, key + " or " + pub + " exists already; not overwriting a key");
            }
            Files.createDirectories(out);
            KeyPair pair = PluginSignature.generateKeyPair();
            Files.createFile(key, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.writeString(key, PluginSignature.pem(pair.getPrivate()) + PluginSignature.pem(pair.getPublic()), StandardCharsets.US_ASCII, StandardOpenOption.TRUNCATE_EXISTING);
            Files.writeString(pub, PluginSignature.pem(pair.getPublic()), StandardCharsets.US_ASCII, StandardOpenOption.CREATE_NEW);
            out().println("Created " + key + " (private, keep offline) and " + pub + " (public; key id "
                    + PluginSignature.keyId(pair.getPublic()) + ").");
            out().println("Trust it: copy " + pub.getFileName() + " into CONFIG/plugin-trust/ of the server or client.");
            return ExitCodes.OK;
        }
    }

    @Command(name = "sign", mixinStandardHelpOptions = true,
            description = {"Sign a plugin jar: writes JAR.sig (or --out) beside it. The signature covers every byte of the jar:",
                "any change after signing makes the server refuse it."},
            exitCodeListHeading = "%nExit codes:%n", exitCodeList = {"0:signed", "2:bad usage", "4:failed", "9:the key cannot be read"},
            footer = {"", "Example:", "  patchfleet publisher plugin sign --key ./keys/acme.key build/my-policy.jar",
                "  patchfleet admin plugin install build/my-policy.jar      # sends build/my-policy.jar.sig with it"})
    static final class Sign extends Verb {
        @Option(names = "--key", required = true, paramLabel = "FILE", description = "The private key (NAME.key from keygen)")
        Path keyFile;

        @Option(names = "--out", paramLabel = "FILE", description = "Where to write the signature (default: JAR.sig)")
        Path outFile;

        @Parameters(paramLabel = "JAR", description = "The plugin jar")
        Path jar;

        @Override
        int run() throws PublisherException, IOException, GeneralSecurityException {
            PrivateKey key;
            try {
                key = PluginSignature.readPrivateKey(Files.readString(keyFile, StandardCharsets.US_ASCII));
            } catch (IOException | GeneralSecurityException e) {
                throw new PublisherException(ExitCodes.KEY_UNAVAILABLE, "cannot read the private key " + keyFile + ": " + e.getMessage());
            }
            PublicKey pub = publicOf(keyFile, Files.readString(keyFile, StandardCharsets.US_ASCII));
            byte[] bytes = Files.readAllBytes(jar);
            PluginSignature sig = PluginSignature.sign(bytes, key, pub);
            Path target = outFile != null ? outFile : jar.resolveSibling(jar.getFileName() + ".sig");
            Files.write(target, sig.toBytes());
            out().println("Signed " + jar + " (sha256 " + sig.sha256() + ") with key " + sig.keyId() + ": " + target);
            return ExitCodes.OK;
        }
    }

    @Command(name = "verify", mixinStandardHelpOptions = true,
            description = "Check a plugin jar's signature against a public key, as the server will.",
            exitCodeListHeading = "%nExit codes:%n", exitCodeList = {"0:the signature verifies", "2:bad usage", "4:it does not verify"},
            footer = {"", "Example:", "  patchfleet publisher plugin verify --pub ./keys/acme.pub build/my-policy.jar"})
    static final class Verify extends Verb {
        @Option(names = "--pub", required = true, paramLabel = "FILE", description = "The signer's public key (NAME.pub)")
        Path pubFile;

        @Option(names = "--signature", paramLabel = "FILE", description = "The signature (default: JAR.sig)")
        Path sigFile;

        @Parameters(paramLabel = "JAR", description = "The plugin jar")
        Path jar;

        @Override
        int run() throws PublisherException, IOException, GeneralSecurityException {
            PublicKey pub = PluginSignature.readPublicKey(Files.readString(pubFile, StandardCharsets.US_ASCII));
            Path sigPath = sigFile != null ? sigFile : jar.resolveSibling(jar.getFileName() + ".sig");
            PluginSignature sig;
            try {
                sig = PluginSignature.parse(Files.readAllBytes(sigPath));
            } catch (IllegalArgumentException e) {
                throw new PublisherException(ExitCodes.FAILED, sigPath + ": " + e.getMessage());
            }
            if (!sig.keyId().equals(PluginSignature.keyId(pub))) {
                throw new PublisherException(ExitCodes.FAILED, "signed by key " + sig.keyId() + ", not by " + pubFile);
            }
            if (!sig.verifies(Files.readAllBytes(jar), pub)) {
                throw new PublisherException(ExitCodes.FAILED, jar + " does not match its signature: changed after signing, or forged");
            }
            out().println(jar + ": signature by " + pubFile.getFileName() + " verifies.");
            return ExitCodes.OK;
        }
    }

    /**
     * The public key that goes with a private key file: keygen writes both PEM blocks into
     * NAME.key; for a key made elsewhere (openssl genpkey) NAME.pub beside it.
     */
    static PublicKey publicOf(Path keyFile, String keyText) throws PublisherException {
        try {
            if (keyText.contains("-----BEGIN PUBLIC KEY-----")) {
                return PluginSignature.readPublicKey(keyText);
            }
            String name = keyFile.getFileName().toString();
            Path pub = keyFile.resolveSibling((name.endsWith(".key") ? name.substring(0, name.length() - 4) : name) + ".pub");
            return PluginSignature.readPublicKey(Files.readString(pub, StandardCharsets.US_ASCII));
        } catch (IOException | GeneralSecurityException e) {
            throw new PublisherException(ExitCodes.KEY_UNAVAILABLE, "cannot find the public key of " + keyFile
                    + " (in the file, or NAME.pub beside it): " + e.getMessage());
        }
    }
}
