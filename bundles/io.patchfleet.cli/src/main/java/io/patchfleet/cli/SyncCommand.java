package io.patchfleet.cli;

import java.io.IOException;
import java.time.Duration;
import java.util.Map;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code patchfleet admin sync …}: this server's sync from its upstream. */
@Command(name = "sync", mixinStandardHelpOptions = true,
        description = {"Sync from the upstream server configured in io.patchfleet.sync.http.cfg: trigger, status."},
        subcommands = {SyncCommand.Trigger.class, SyncCommand.Status.class},
        footer = {"", "Examples:", "  patchfleet admin sync trigger --wait", "  patchfleet admin sync status --format json"})
final class SyncCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    @Command(name = "trigger", mixinStandardHelpOptions = true,
            description = {"Start a sync now (one at a time; a running one is not started twice).",
                    "With --wait: show progress on standard error until it ends; exit 4 if it failed."},
            footer = {"", "Example:", "  patchfleet admin sync trigger --wait --timeout 600"})
    static final class Trigger extends AdminCommand.Verb {
        @Option(names = "--wait", description = "Wait for the sync to finish, showing progress")
        boolean await;

        @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "3600", description = "Most seconds to wait (default: ${DEFAULT-VALUE})")
        long timeout;

        @Override
        Object execute(AdminClient c) throws AdminClient.Failure, IOException {
            Map<String, Object> started = c.post("/v1/admin/sync/trigger", Map.of());
            if (!await) {
                return started;
            }
            long run = number(started.get("run"));
            long deadline = System.nanoTime() + Duration.ofSeconds(timeout).toNanos();
            String lastLine = "";
            while (true) {
                Map<String, Object> s = c.get("/v1/admin/sync/status");
                String state = String.valueOf(s.get("state"));
                boolean finished = number(s.get("finishedRun")) >= run && !"running".equals(state) && !"queued".equals(state);
                String line = "sync " + state + ": " + s.get("step") + ", " + s.get("metadataFiles") + " metadata files, "
                        + s.get("blobs") + " modules, " + s.get("bytes") + " bytes";
                if (!line.equals(lastLine)) {
                    spec.commandLine().getErr().println(line);
                    spec.commandLine().getErr().flush();
                    lastLine = line;
                }
                if (finished) {
                    if (s.get("lastError") != null && number(s.get("lastErrorRun")) == number(s.get("finishedRun"))) {
                        print(s);
                        throw new AdminClient.Failure(ExitCodes.FAILED, "sync failed: " + s.get("lastError"));
                    }
                    return s;
                }
                if (System.nanoTime() > deadline) {
                    throw new AdminClient.Failure(ExitCodes.FAILED, "the sync did not finish within " + timeout + " s; it goes on");
                }
                try {
                    Thread.sleep(500);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new AdminClient.Failure(ExitCodes.FAILED, "interrupted");
                }
            }
        }

        private static long number(Object o) {
            return o instanceof Number n ? n.longValue() : 0;
        }
    }

    @Command(name = "status", mixinStandardHelpOptions = true,
            description = "Show the sync state: upstream, last success, last error, counts, bytes, duration.",
            footer = {"", "Example:", "  patchfleet admin sync status --format json"})
    static final class Status extends AdminCommand.Verb {
        @Override
        Object execute(AdminClient c) throws AdminClient.Failure {
            return c.get("/v1/admin/sync/status");
        }
    }
}
