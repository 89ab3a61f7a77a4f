package io.patchfleet.cli;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code patchfleet admin downstream …}: what downstream servers (syncing from this one) reported, opt-in. */
@Command(name = "downstream", mixinStandardHelpOptions = true,
        description = {"Downstream deployments: on-prem servers syncing from this one that opted in to upstream reports",
                "(upstream.reports = summary or machines in their io.patchfleet.sync.http.cfg). Machine ids arrive hashed."},
        subcommands = {DownstreamCommand.List.class, DownstreamCommand.Show.class},
        footer = {"", "Examples:", "  patchfleet admin downstream list", "  patchfleet admin downstream list --format json",
                "  patchfleet admin downstream show 3f1c2d9e-5b7a-4c1e-9f00-2b6f1d0e8a11"})
final class DownstreamCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    @Command(name = "list", mixinStandardHelpOptions = true,
            description = "Every downstream deployment: id, sync token, mode, last report, machine count, machines per state.",
            footer = {"", "Example:", "  patchfleet admin downstream list --format json"})
    static final class List extends AdminCommand.Verb {
        @Override
        Object execute(AdminClient c) throws AdminClient.Failure {
            return c.get("/v1/admin/downstreams");
        }

        @Override
        String listKey() {
            return "downstreams";
        }

        @Override
        java.util.List<String> columns() {
            return java.util.List.of("deploymentId", "syncToken", "mode", "lastReportAt", "machines", "states");
        }

        @Override
        void print(Object result) {
            if (common.format == Output.Format.table && result instanceof Map<?, ?> m && m.get("downstreams") instanceof java.util.List<?> l) {
                // states as "applied=3 needs-check=1" in the table (a map otherwise shows as "…")
                java.util.List<Map<String, Object>> rows = new java.util.ArrayList<>();
                for (Object o : l) {
                    Map<String, Object> row = new LinkedHashMap<>(AdminCommand.Verb.row((Map<?, ?>) o, columns()));
                    if (((Map<?, ?>) o).get("states") instanceof Map<?, ?> states) {
                        StringBuilder b = new StringBuilder();
                        states.forEach((k, v) -> b.append(b.length() == 0 ? "" : " ").append(k).append('=').append(v));
                        row.put("states", b.length() == 0 ? "-" : b.toString());
                    }
                    rows.add(row);
                }
                Output.table(out(), rows);
                out().flush();
                return;
            }
            super.print(result);
        }
    }

    @Command(name = "show", mixinStandardHelpOptions = true,
            description = "One downstream deployment with its machines' states (hashed ids, in machines mode).",
            footer = {"", "Example:", "  patchfleet admin downstream show 3f1c2d9e-5b7a-4c1e-9f00-2b6f1d0e8a11 --format json"})
    static final class Show extends AdminCommand.Verb {
        @Parameters(index = "0", paramLabel = "DEPLOYMENT-ID")
        String id;

        @Option(names = "--offset", paramLabel = "N", defaultValue = "0")
        int offset;

        @Option(names = "--limit", paramLabel = "N", defaultValue = "100")
        int limit;

        @Override
        Object execute(AdminClient c) throws AdminClient.Failure {
            Map<String, Object> p = new LinkedHashMap<>();
            p.put("offset", offset);
            p.put("limit", limit);
            return c.get(AdminClient.query("/v1/admin/downstreams/" + id, p));
        }

        @Override
        String listKey() {
            return "machineList";
        }
    }
}
