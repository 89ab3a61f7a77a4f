package io.patchfleet.cli;

import java.util.List;
import java.util.Map;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code patchfleet admin sync-token …}: the credentials downstream servers sync from this server with. */
@Command(name = "sync-token", mixinStandardHelpOptions = true,
        description = {"Sync tokens for downstream servers: create, list, revoke.",
                "A sync token is bound to a tier: the downstream gets the patches available to that tier.",
                "It works only on the sync API (/v1/sync/...), never on machine or admin routes."},
        subcommands = {SyncTokenCommand.Create.class, SyncTokenCommand.ListTokens.class, SyncTokenCommand.Revoke.class},
        footer = {"", "Example:", "  patchfleet admin sync-token create dc-east --tier stable --expires-in 365d"})
final class SyncTokenCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    @Command(name = "create", mixinStandardHelpOptions = true,
            description = "Create a sync token. Its secret is shown once: put it in the downstream's io.patchfleet.sync.http.cfg (token).",
            footer = {"", "Example:", "  patchfleet admin sync-token create dc-east --tier stable --expires-in 180d --format json"})
    static final class Create extends AdminCommand.Verb {
        @Parameters(paramLabel = "NAME", description = "Which downstream uses it: letters, digits, '.', '_', '-'")
        String name;

        @Option(names = "--tier", paramLabel = "TIER", required = true, description = "The tier whose patches the downstream receives")
        String tier;

        @Option(names = "--expires-in", paramLabel = "DURATION", defaultValue = "365d", description = "Lifetime: 30m, 24h, 90d (default: ${DEFAULT-VALUE})")
        String expiresIn;

        @Override
        Object execute(AdminClient c) throws AdminClient.Failure {
            return c.post("/v1/admin/sync-tokens", Map.of("name", name, "tier", tier, "expiresIn", expiresIn));
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List sync tokens (never their secrets), revoked and expired ones too.",
            footer = {"", "Example:", "  patchfleet admin sync-token list --format json"})
    static final class ListTokens extends AdminCommand.Verb {
        @Override
        Object execute(AdminClient c) throws AdminClient.Failure {
            return c.get("/v1/admin/sync-tokens");
        }

        @Override
        String listKey() {
            return "tokens";
        }

        @Override
        List<String> columns() {
            return List.of("id", "name", "tier", "expiresAt", "revoked", "usable", "lastUsedAt", "createdBy");
        }
    }

    @Command(name = "revoke", mixinStandardHelpOptions = true, description = "Revoke a sync token: the downstream's next request is refused (401).",
            footer = {"", "Example:", "  patchfleet admin sync-token revoke 3f2a9c0d11e4b7a5"})
    static final class Revoke extends AdminCommand.Verb {
        @Parameters(paramLabel = "ID")
        String id;

        @Override
        Object execute(AdminClient c) throws AdminClient.Failure {
            return c.post("/v1/admin/sync-tokens/" + AdminClient.encode(id) + "/revoke", Map.of());
        }
    }
}
