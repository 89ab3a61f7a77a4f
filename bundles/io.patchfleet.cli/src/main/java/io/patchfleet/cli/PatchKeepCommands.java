package io.patchfleet.cli;

import java.util.LinkedHashMap;
import java.util.Map;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code patchfleet admin patch show | keep | unkeep}: one patch with its upstream state, and an
 * admin's decision to keep a patch enabled here although the upstream withdrew it (KernelCare's
 * "Enabled (!)").
 */
final class PatchKeepCommands {
    private PatchKeepCommands() {}

    @Command(name = "show", mixinStandardHelpOptions = true,
            description = {"Show one patch: its tiers, whether it is revoked and by whom, and whether the upstream withdrew it.",
                    "state: enabled, enabled (!) (offered here although the upstream withdrew it: an admin keeps it),",
                    "blocked (revoked here because the upstream withdrew it), revoked (by the publisher or an admin here)."},
            footer = {"", "Examples:", "  patchfleet admin patch show 5.15.0-91-generic 3",
                    "  patchfleet admin patch show 5.15.0-91-generic 3 --arch aarch64 --format json"})
    static final class Show extends AdminCommand.Verb {
        @Parameters(index = "0", paramLabel = "KERNEL", description = "Kernel release (uname -r)")
        String kernel;

        @Parameters(index = "1", paramLabel = "VERSION")
        long version;

        @Mixin
        AdminCommand.KernelBuild which;

        @Override
        Object execute(AdminClient c) throws AdminClient.Failure {
            Map<String, Object> p = new LinkedHashMap<>();
            p.put("kernel", kernel);
            p.put("version", version);
            p.put("architecture", which.architecture);
            p.put("build", which.build);
            return c.get(AdminClient.query("/v1/admin/patches/show", p));
        }
    }

    @Command(name = "keep", mixinStandardHelpOptions = true,
            description = {"Keep a patch enabled on this server whatever the upstream does (audit-logged).",
                    "By default a patch the upstream withdraws is revoked here within one sync and machines running it",
                    "are told to disable it. A kept patch stays offered instead and shows as 'enabled (!)' in patch list,",
                    "patch show, report patch-health and sync status. Keeping a patch already blocked offers it again.",
                    "A patch the publisher revoked, or an admin here revoked, cannot be kept (exit 7)."},
            footer = {"", "Examples:", "  patchfleet admin patch keep 5.15.0-91-generic 3 --reason 'fleet depends on it; vendor case 1234'",
                    "  patchfleet admin patch list --format json   # upstreamWithdrawn, upstreamWithdrawnAt, keptBy"})
    static final class Keep extends AdminCommand.Verb {
        @Parameters(index = "0", paramLabel = "KERNEL", description = "Kernel release (uname -r)")
        String kernel;

        @Parameters(index = "1", paramLabel = "VERSION")
        long version;

        @Option(names = "--reason", paramLabel = "TEXT", description = "Why (kept in the audit log and shown with the patch)")
        String reason;

        @Mixin
        AdminCommand.KernelBuild which;

        @Override
        Object execute(AdminClient c) throws AdminClient.Failure {
            Map<String, Object> body = new LinkedHashMap<>(Map.of("kernel", kernel, "version", version));
            if (reason != null) {
                body.put("reason", reason);
            }
            which.into(body);
            return c.post("/v1/admin/patches/keep", body);
        }
    }

    @Command(name = "unkeep", mixinStandardHelpOptions = true,
            description = {"End a 'keep': if the upstream withdrew the patch it is revoked here now, and machines",
                    "running it are told to disable it at their next check-in (audit-logged)."},
            footer = {"", "Example:", "  patchfleet admin patch unkeep 5.15.0-91-generic 3"})
    static final class Unkeep extends AdminCommand.Verb {
        @Parameters(index = "0", paramLabel = "KERNEL", description = "Kernel release (uname -r)")
        String kernel;

        @Parameters(index = "1", paramLabel = "VERSION")
        long version;

        @Mixin
        AdminCommand.KernelBuild which;

        @Override
        Object execute(AdminClient c) throws AdminClient.Failure {
            Map<String, Object> body = new LinkedHashMap<>(Map.of("kernel", kernel, "version", version));
            which.into(body);
            return c.post("/v1/admin/patches/unkeep", body);
        }
    }
}
