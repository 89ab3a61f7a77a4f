package io.patchfleet.client.internal;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Optional;

/**
 * The crash-loop guard: a marker written durably before a module is inserted and removed when
 * the insertion ended (either way). A marker found when the daemon starts means the daemon or
 * the machine died during an insertion; the boot id it recorded tells which. Either way that
 * patch version is marked crashed and not inserted again until the server offers another
 * version or an admin clears it ({@code patchfleet refresh --clear-crash}), instead of
 * Canonical's lock file that must be deleted by hand.
 */
final class CrashGuard {
    /** The marker's content. */
    /**
     * @param settling false while the module is being inserted; true in the settle window after
     *     its transition finished, when only a reboot (a changed boot id) counts as a crash
     */
    record Attempt(long version, String sha256, String bootId, boolean settling, String startedAt) {}

    private final Path marker;

    CrashGuard(Path marker) {
        this.marker = marker;
    }

    void begin(long version, String sha256, String bootId, boolean settling, Instant now) throws IOException {
        JsonFiles.write(marker, new Attempt(version, sha256, bootId, settling, now.toString()));
    }

    void end() throws IOException {
        JsonFiles.delete(marker);
    }

    /** The interrupted attempt, removed from disk; empty when the last insertion ended normally. */
    Optional<Attempt> takeInterrupted() throws IOException {
        Optional<Attempt> a;
        try {
            a = JsonFiles.read(marker, Attempt.class);
        } catch (IOException e) {
            // A marker that cannot be parsed was being written: the insertion had not begun.
            JsonFiles.delete(marker);
            return Optional.empty();
        }
        if (a.isPresent()) {
            JsonFiles.delete(marker);
        }
        return a;
    }
}
