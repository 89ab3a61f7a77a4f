package io.patchfleet.client.internal;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The health checks still due after an apply ({@code DATA/client/health.json}): one entry per
 * check with its absolute due time, written atomically when the patch is applied and rewritten
 * without an entry once that check's event is queued. The schedule lives on disk, not only in the
 * agent's timer, so a daemon restarted at minute 3 still sends the 5- and 15-minute checks at
 * minutes 5 and 15 (a check whose time passed while the daemon was down is sent at start, and
 * says how late it is). A new apply replaces the schedule: the checks of a superseded patch say
 * nothing about the running one.
 */
final class HealthSchedule {
    /**
     * One check.
     *
     * @param version the patch version applied
     * @param name its module name
     * @param after the delay after the apply, as configured (such as {@code 5m})
     * @param dueAt when it is due (ISO-8601)
     */
    record Check(long version, String name, String after, String dueAt) {
        Instant due() {
            return Instant.parse(dueAt);
        }
    }

    /** The file's content. */
    record Pending(List<Check> checks) {
        Pending {
            checks = checks == null ? List.of() : List.copyOf(checks);
        }
    }

    private final Path file;

    HealthSchedule(Path file) {
        this.file = file;
    }

    /** Replaces the schedule with checks for {@code patch}, one per delay after {@code appliedAt}. */
    synchronized List<Check> start(long version, String name, List<String> delays, Instant appliedAt) throws IOException {
        List<Check> checks = new ArrayList<>();
        for (String d : delays) {
            Duration delay = Settings.duration(d);
            checks.add(new Check(version, name, d, appliedAt.plus(delay).toString()));
        }
        JsonFiles.write(file, new Pending(checks));
        return checks;
    }

    /** The checks still due, oldest first; empty when the file is missing or unreadable (a half-written file is never renamed into place). */
    synchronized List<Check> pending() {
        try {
            return JsonFiles.read(file, Pending.class).map(Pending::checks).orElse(List.of());
        } catch (IOException e) {
            return List.of();
        }
    }

    /** Removes one check once its event is queued. */
    synchronized void done(Check check) throws IOException {
        List<Check> left = new ArrayList<>(pending());
        left.remove(check);
        if (left.isEmpty()) {
            JsonFiles.delete(file);
        } else {
            JsonFiles.write(file, new Pending(left));
        }
    }

    /** Parses a configured list such as {@code 1m,5m,15m}; throws IllegalArgumentException on a bad entry. */
    static List<String> delays(String configured) {
        List<String> out = new ArrayList<>();
        for (String part : configured.split(",")) {
            String p = part.trim();
            if (!p.isEmpty()) {
                Settings.duration(p);
                out.add(p);
            }
        }
        return out;
    }
}
