package io.patchfleet.cli;

import java.util.List;
import java.util.Map;

import picocli.CommandLine.Command;

/** {@code patchfleet admin verify-store}: the server's integrity check of its catalog and blob store. */
@Command(name = "verify-store", mixinStandardHelpOptions = true,
        description = {"Check the server's store: every catalog release has its module in the blob store with the",
                "signed length and SHA-256; every blob's content matches its name; no stray files in the blob",
                "store or the sync's download folder. Reads every module once (seconds per GB). Run it after a",
                "crash, a restore or a disk problem. Blobs no release refers to (left by an interrupted sync) and",
                "resumable downloads are counted, not problems."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:the store is consistent", "4:problems found (listed), or the server failed",
                "5:not logged in or role refused"},
        footer = {"", "Examples:", "  patchfleet admin verify-store", "  patchfleet admin verify-store --format json"})
final class VerifyStoreCommand extends AdminCommand.Verb {
    @Override
    Object execute(AdminClient c) throws AdminClient.Failure {
        Map<String, Object> result = c.get("/v1/admin/store/verify");
        if (!Boolean.TRUE.equals(result.get("ok"))) {
            print(result);
            int n = result.get("problems") instanceof List<?> l ? l.size() : 0;
            throw new AdminClient.Failure(ExitCodes.FAILED, "the store has " + n + " problem(s)");
        }
        return result;
    }

    /** Table format: the counts, then one row per problem. */
    @SuppressWarnings("unchecked")
    @Override
    void print(Object result) {
        if (Output.writeStructured(out(), common.format, result)) {
            return;
        }
        Map<String, Object> summary = new java.util.LinkedHashMap<>((Map<String, Object>) result);
        Object problems = summary.remove("problems");
        fields(out(), summary);
        if (problems instanceof List<?> list && !list.isEmpty()) {
            out().println();
            List<Map<String, Object>> rows = new java.util.ArrayList<>();
            for (Object o : list) {
                rows.add(row((Map<?, ?>) o, List.of("kind", "item", "detail")));
            }
            Output.table(out(), rows);
        }
        out().flush();
    }
}
