package io.patchfleet.client.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * What the daemon may do, read once when it starts (as Canonical's client): {@code normal};
 * {@code no-apply} (check in and report, never touch the kernel); {@code no-refresh} (no
 * check-ins; re-apply the applied patch at start); {@code stop} (neither: serve status only).
 * The kernel command line ({@code patchfleet.mode=…} in {@code /proc/cmdline}) wins over the file
 * {@code run-mode} in the configuration directory, so a machine that misbehaves after patching
 * can be booted with patching off.
 */
enum RunMode {
    NORMAL("normal"), NO_APPLY("no-apply"), NO_REFRESH("no-refresh"), STOP("stop");

    final String wireName;

    RunMode(String wireName) {
        this.wireName = wireName;
    }

    static RunMode parse(String value) {
        String v = value.trim().toLowerCase(Locale.ROOT);
        for (RunMode m : values()) {
            if (m.wireName.equals(v)) {
                return m;
            }
        }
        throw new IllegalArgumentException("unknown run mode '" + value.trim() + "'; use normal, no-apply, no-refresh or stop");
    }

    /** The run mode from the kernel command line, else the file, else normal. An invalid value stops the daemon (fail safe). */
    static RunMode read(Path cmdline, Path file) {
        try {
            if (Files.isReadable(cmdline)) {
                for (String arg : Files.readString(cmdline, StandardCharsets.US_ASCII).trim().split("\\s+")) {
                    if (arg.startsWith("patchfleet.mode=")) {
                        return parseOrStop(arg.substring("patchfleet.mode=".length()));
                    }
                }
            }
            if (Files.isRegularFile(file)) {
                String content = Files.readString(file, StandardCharsets.UTF_8).strip();
                return content.isEmpty() ? NORMAL : parseOrStop(content);
            }
        } catch (IOException e) {
            return STOP;
        }
        return NORMAL;
    }

    private static RunMode parseOrStop(String v) {
        try {
            return parse(v);
        } catch (IllegalArgumentException e) {
            return STOP;
        }
    }
}
