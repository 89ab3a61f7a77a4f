package io.patchfleet.cli.publisher;

import io.patchfleet.cli.ExitCodes;
import java.io.Console;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * The passphrase of the key files, asked for only when an encrypted key must be unlocked:
 * from {@code --passphrase-file}, else {@code $PATCHFLEET_PASSPHRASE}, else the terminal.
 */
final class Passphrase {
    private final Path file;
    private final String env;
    private final Console console;
    private final Path repo;
    private char[] value;

    Passphrase(Path file, String env, Console console, Path repo) {
        this.file = file;
        this.env = env;
        this.console = console;
        this.repo = repo;
    }

    /** The passphrase to unlock keys; asked once. */
    char[] get() throws PublisherException {
        if (value == null) {
            value = obtain(false);
        }
        return value;
    }

    /** A new passphrase to encrypt keys with; on a terminal it is asked twice. */
    char[] newPassphrase() throws PublisherException {
        if (value == null) {
            value = obtain(true);
        }
        return value;
    }

    private char[] obtain(boolean confirm) throws PublisherException {
        char[] p;
        if (file != null) {
            try {
                String text = Files.readString(file, StandardCharsets.UTF_8);
                int nl = text.indexOf('\n');
                p = (nl < 0 ? text : text.substring(0, nl)).replace("\r", "").toCharArray();
            } catch (IOException e) {
                throw new PublisherException(ExitCodes.KEY_UNAVAILABLE, "cannot read the passphrase file " + file + ": " + e);
            }
        } else if (env != null) {
            p = env.toCharArray();
        } else if (console != null) {
            p = console.readPassword("Passphrase for the keys of %s: ", repo);
            if (p != null && confirm) {
                char[] again = console.readPassword("The same passphrase again: ");
                boolean same = Arrays.equals(p, again);
                if (again != null) {
                    Arrays.fill(again, '\0');
                }
                if (!same) {
                    Arrays.fill(p, '\0');
                    throw new PublisherException(ExitCodes.KEY_UNAVAILABLE, "the two passphrases differ; nothing was written");
                }
            }
            if (p == null) {
                throw new PublisherException(ExitCodes.KEY_UNAVAILABLE, "no passphrase entered");
            }
        } else {
            throw new PublisherException(ExitCodes.KEY_UNAVAILABLE, "the keys are encrypted and no passphrase was given: use "
                    + "--passphrase-file FILE, set " + PublisherCommand.PASSPHRASE_ENV + ", or run in a terminal");
        }
        if (p.length == 0) {
            throw new PublisherException(ExitCodes.KEY_UNAVAILABLE, "the passphrase is empty");
        }
        return p;
    }

    /** Overwrites the passphrase in memory. */
    void clear() {
        if (value != null) {
            Arrays.fill(value, '\0');
        }
    }
}
