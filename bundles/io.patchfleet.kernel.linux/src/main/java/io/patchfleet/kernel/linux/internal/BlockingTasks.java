package io.patchfleet.kernel.linux.internal;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Finds the tasks that keep a livepatch transition from finishing: with CONFIG_LIVEPATCH every
 * task has {@code /proc/<pid>/task/<tid>/patch_state}, -1 outside a transition, else 0
 * (unpatched) or 1 (patched). A task blocks when its state is not the transition's target.
 */
public final class BlockingTasks {
    /** At most this many tasks are named; the rest are counted. */
    static final int MAX_REPORTED = 32;
    private static final int MAX_FRAMES = 6;

    private BlockingTasks() {}

    /**
     * @param proc the procfs root
     * @param target 1 while patching, 0 while unpatching
     * @return {@code "<tid> <comm>"} per blocking task, with its stack where readable (root only)
     */
    public static List<String> find(Path proc, int target) {
        List<String> found = new ArrayList<>();
        int more = 0;
        try (DirectoryStream<Path> pids = Files.newDirectoryStream(proc, p -> isNumber(p.getFileName().toString()))) {
            for (Path pid : pids) {
                Path tasks = pid.resolve("task");
                if (!Files.isDirectory(tasks)) {
                    continue;
                }
                try (DirectoryStream<Path> tids = Files.newDirectoryStream(tasks, p -> isNumber(p.getFileName().toString()))) {
                    for (Path tid : tids) {
                        Optional<String> state = SysFiles.readIfReadable(tid.resolve("patch_state"));
                        if (state.isEmpty() || !blocks(state.get(), target)) {
                            continue;
                        }
                        if (found.size() >= MAX_REPORTED) {
                            more++;
                            continue;
                        }
                        found.add(describe(tid));
                    }
                } catch (IOException | RuntimeException e) {
                    // the process ended while we looked
                }
            }
        } catch (IOException e) {
            return List.of("(cannot list " + proc + ": " + e.getMessage() + ")");
        }
        if (more > 0) {
            found.add("… and " + more + " more");
        }
        return found;
    }

    private static boolean blocks(String state, int target) {
        try {
            int s = Integer.parseInt(state.trim());
            return s != -1 && s != target;
        } catch (NumberFormatException e) {
            return false;
        }
    }

    private static String describe(Path tid) {
        String comm = SysFiles.readIfReadable(tid.resolve("comm")).orElse("?");
        StringBuilder s = new StringBuilder(tid.getFileName() + " " + comm);
        SysFiles.readIfReadable(tid.resolve("stack")).filter(t -> !t.isBlank()).ifPresent(stack -> {
            List<String> frames = new ArrayList<>();
            for (String line : stack.split("\n")) {
                String frame = line.replaceFirst("^\\[<[0-9a-fx]+>\\]\\s*", "").trim();
                if (!frame.isEmpty() && frames.size() < MAX_FRAMES) {
                    frames.add(frame);
                }
            }
            s.append(" [").append(String.join(" < ", frames)).append(']');
        });
        return s.toString();
    }

    private static boolean isNumber(String s) {
        if (s.isEmpty() || s.length() > 10) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) < '0' || s.charAt(i) > '9') {
                return false;
            }
        }
        return true;
    }
}
