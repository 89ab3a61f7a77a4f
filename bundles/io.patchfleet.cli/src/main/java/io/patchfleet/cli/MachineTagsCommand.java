package io.patchfleet.cli;

import java.util.List;
import java.util.Map;

import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code patchfleet admin machine tags ID [TAG…]}: replaces a machine's tags (rollout policies select on them). */
@Command(name = "tags", mixinStandardHelpOptions = true,
        description = {"Set a machine's tags, replacing the ones it has; no TAG removes them all.",
                "Tags are 1-64 characters of a-z 0-9 . _ : = - starting with a letter or digit, such as role:db or dc=fra1.",
                "Maintenance windows and pins can apply to the machines with a tag."},
        footer = {"", "Examples:", "  patchfleet admin machine tags 0123456789abcdef0123456789abcdef role:db dc=fra1",
                "  patchfleet admin machine tags 0123456789abcdef0123456789abcdef     # no tags"})
final class MachineTagsCommand extends AdminCommand.Verb {
    @Parameters(index = "0", paramLabel = "ID", description = "Machine id")
    String id;

    @Parameters(index = "1..*", paramLabel = "TAG", arity = "0..*")
    List<String> tags = List.of();

    @Override
    Object execute(AdminClient c) throws AdminClient.Failure {
        return c.put("/v1/admin/machines/" + id + "/tags", Map.of("tags", tags));
    }
}
