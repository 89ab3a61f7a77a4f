package io.patchfleet.cli;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where a profile keeps its data when {@code --data} is not given:
 * <ol>
 * <li>{@code $PATCHFLEET_DATA} when set;</li>
 * <li>{@code /var/lib/patchfleet/<profile>} when Patchfleet is installed (its home holds the
 *     marker file {@code INSTALLED}, written by packaging);</li>
 * <li>otherwise {@code ./data/<profile>} under the working directory, for local runs.</li>
 * </ol>
 */
public final class DataDirectories {
    private DataDirectories() {}

    public static Path defaultFor(String profile, Path home) {
        String env = System.getenv("PATCHFLEET_DATA");
        if (env != null && !env.isBlank()) {
            return Path.of(env).toAbsolutePath();
        }
        if (home != null && Files.exists(home.resolve("INSTALLED"))) {
            return Path.of("/var/lib/patchfleet", profile);
        }
        return Path.of("data", profile).toAbsolutePath();
    }

    /** The control socket of a client whose data directory is {@code data}. */
    public static Path controlSocket(Path data) {
        return data.resolve("run").resolve("control.sock");
    }
}
