package io.patchfleet.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code patchfleet admin rollout …}: status of every release's rollout per tier, and the
 * operations on one: pause, resume, abort, advance, approve.
 */
@Command(name = "rollout", mixinStandardHelpOptions = true,
        description = {"Rollouts of patch releases per tier: status, pause, resume, abort, advance, approve.",
                "A rollout is one patch version of one kernel in one tier; the policies configured for the tier",
                "(waves, health gate, maintenance windows, delay, pin) decide who gets it when."},
        subcommands = {RolloutCommand.Status.class, RolloutCommand.Pause.class, RolloutCommand.Resume.class,
                RolloutCommand.Abort.class, RolloutCommand.Advance.class, RolloutCommand.Approve.class},
        footer = {"", "Examples:", "  patchfleet admin rollout status --tier edge",
                "  patchfleet admin rollout pause 6.1.0-56-amd64 3 edge --reason \"bug 1234\"",
                "  patchfleet admin rollout abort 6.1.0-56-amd64 3 edge --revert"})
public final class RolloutCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    @Command(name = "status", mixinStandardHelpOptions = true,
            description = {"Each release's rollout per tier: state and its cause, wave and exposure, health gate verdict,",
                    "fleet health (offered, applied, failed, crashed), machines running it, and why machines are held.",
                    "'exposed' is real: the tier's machines on that kernel whose last check-in was offered the release",
                    "(in its wave and allowed by every other policy, or running it); the waves policy's line says",
                    "what the schedule allows."},
            footer = {"", "Examples:", "  patchfleet admin rollout status", "  patchfleet admin rollout status --tier stable --kernel 6.1.0-56-amd64",
                    "  patchfleet admin rollout status --format json   # everything, for scripts"})
    static final class Status extends AdminCommand.Verb {
        @Option(names = "--tier", paramLabel = "TIER", description = "Only this tier")
        String tier;

        @Option(names = "--kernel", paramLabel = "RELEASE", description = "Only this kernel release (uname -r)")
        String kernel;

        @Override
        Object execute(AdminClient c) throws AdminClient.Failure {
            Map<String, Object> p = new LinkedHashMap<>();
            p.put("tier", tier);
            p.put("kernel", kernel);
            return c.get(AdminClient.query("/v1/admin/rollouts", p));
        }

        @Override
        void print(Object result) {
            if (Output.writeStructured(out(), common.format, result)) {
                return;
            }
            Map<?, ?> map = (Map<?, ?>) result;
            List<Map<String, Object>> rows = new ArrayList<>();
            for (Object o : (List<?>) map.get("rollouts")) {
                Map<?, ?> r = (Map<?, ?>) o;
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("kernel", r.get("kernel"));
                row.put("version", r.get("version"));
                row.put("tier", r.get("tier"));
                row.put("state", r.get("state"));
                // The real exposure: machines offered it at their last check-in, of the tier's machines on the kernel.
                row.put("exposed", r.get("exposure") instanceof Map<?, ?> e
                        ? e.get("machines") + "/" + r.get("machinesOnKernel") + " (" + e.get("percent") + " %)" : "-");
                Map<?, ?> health = r.get("health") instanceof Map<?, ?> h ? h : Map.of();
                row.put("offered", orDash(health.get("offered")));
                row.put("applied", orDash(health.get("applied")));
                row.put("failed", health.isEmpty() ? "-" : ((Number) health.get("applyFailed")).longValue()
                        + ((Number) health.get("checkFailed")).longValue());
                row.put("crashed", orDash(health.get("crashed")));
                List<String> notes = new ArrayList<>();
                if (r.get("cause") instanceof String cause && !cause.isEmpty()) {
                    notes.add(cause);
                }
                if (r.get("policies") instanceof Map<?, ?> policies) {
                    policies.forEach((k, v) -> notes.add(k + ": " + v));
                }
                row.put("policies", notes.isEmpty() ? "-" : String.join("; ", notes));
                rows.add(row);
            }
            if (rows.isEmpty()) {
                out().println("No rollouts: no patch is available to " + (tier == null ? "any tier" : "tier " + tier) + ".");
            } else {
                Output.table(out(), rows);
            }
            for (Object o : (List<?>) map.get("tiers")) {
                Map<?, ?> t = (Map<?, ?>) o;
                out().println();
                out().println("tier " + t.get("tier") + ": policies " + AdminCommand.Verb.cell(t.get("policies")));
                if (t.get("held") instanceof Map<?, ?> held && !held.isEmpty()) {
                    held.forEach((reason, n) -> out().println("  " + n + " held: " + reason));
                }
            }
            out().flush();
        }
    }

    static Object orDash(Object v) {
        return v == null ? "-" : v;
    }

    /** KERNEL VERSION TIER, the build when ambiguous, and a reason: what every change names. */
    abstract static class Change extends AdminCommand.Verb {
        @Parameters(index = "0", paramLabel = "KERNEL", description = "Kernel release (uname -r)")
        String kernel;

        @Parameters(index = "1", paramLabel = "VERSION", description = "Patch version")
        long version;

        @Parameters(index = "2", paramLabel = "TIER")
        String tier;

        @Mixin
        AdminCommand.KernelBuild which;

        @Option(names = "--reason", paramLabel = "TEXT", description = "Why; kept in the audit log and shown in status")
        String reason;

        abstract String action();

        void more(Map<String, Object> body) {
        }

        @Override
        Object execute(AdminClient c) throws AdminClient.Failure {
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("kernel", kernel);
            body.put("version", version);
            body.put("tier", tier);
            if (reason != null) {
                body.put("reason", reason);
            }
            which.into(body);
            more(body);
            return c.post("/v1/admin/rollouts/" + action(), body);
        }
    }

    @Command(name = "pause", mixinStandardHelpOptions = true,
            description = "Offer the release to no more machines of the tier; machines running it keep it.",
            footer = {"", "Example:", "  patchfleet admin rollout pause 6.1.0-56-amd64 3 edge --reason \"investigating bug 1234\""})
    static final class Pause extends Change {
        @Override
        String action() {
            return "pause";
        }
    }

    @Command(name = "resume", mixinStandardHelpOptions = true,
            description = {"Resume a paused or halted rollout. The health gate counts afresh from now on,",
                    "so failures from before the resume do not halt it again at once."},
            footer = {"", "Example:", "  patchfleet admin rollout resume 6.1.0-56-amd64 3 edge"})
    static final class Resume extends Change {
        @Override
        String action() {
            return "resume";
        }
    }

    @Command(name = "abort", mixinStandardHelpOptions = true,
            description = {"Halt the rollout for good (until resumed): no machine of the tier is offered the release.",
                    "With --revert, machines running it go back to the previous patch (or unload it when there is none)."},
            footer = {"", "Example:", "  patchfleet admin rollout abort 6.1.0-56-amd64 3 edge --revert --reason \"oops on db hosts\""})
    static final class Abort extends Change {
        @Option(names = "--revert", description = "Machines running it go back to the previous patch")
        boolean revert;

        @Override
        String action() {
            return "abort";
        }

        @Override
        void more(Map<String, Object> body) {
            body.put("revert", revert);
        }
    }

    @Command(name = "advance", mixinStandardHelpOptions = true,
            description = "Move the rollout one wave ahead of its schedule (waves policy).",
            footer = {"", "Example:", "  patchfleet admin rollout advance 6.1.0-56-amd64 3 edge"})
    static final class Advance extends Change {
        @Override
        String action() {
            return "advance";
        }
    }

    @Command(name = "approve", mixinStandardHelpOptions = true,
            description = "Approve the rollout in the tier: with approval.required set, its first wave starts now.",
            footer = {"", "Example:", "  patchfleet admin rollout approve 6.1.0-56-amd64 3 stable"})
    static final class Approve extends Change {
        @Override
        String action() {
            return "approve";
        }
    }
}
