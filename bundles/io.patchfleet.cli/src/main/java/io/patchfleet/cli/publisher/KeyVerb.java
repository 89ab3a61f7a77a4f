package io.patchfleet.cli.publisher;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/** A verb that signs: it may need the passphrase of the key files. */
abstract class KeyVerb extends PublisherVerb {
    @Option(names = "--passphrase-file", paramLabel = "FILE",
            description = "Read the key passphrase from the first line of FILE (else $PATCHFLEET_PASSPHRASE, else a prompt)")
    Path passphraseFile;

    Passphrase passphrase() {
        return new Passphrase(passphraseFile, env(PublisherCommand.PASSPHRASE_ENV), System.console(), repoDir);
    }
}
