package io.patchfleet.cli;

import java.io.Console;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.function.Supplier;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code patchfleet admin …}: the server's admin API from the command line. {@code login} stores a
 * session token; every other verb uses it (or {@code PATCHFLEET_ADMIN_TOKEN}).
 */
@Command(name = "admin", mixinStandardHelpOptions = true,
        description = {"Administer a Patchfleet server: users, tiers, enrollment tokens, machines, reports, patches, audit.",
                "Log in first; the session is kept in $XDG_CONFIG_HOME/patchfleet/admin.json (or ~/.config/patchfleet/admin.json)."},
        commandListHeading = "%nCommands:%n",
        subcommands = {AdminCommand.Login.class, AdminCommand.Logout.class, AdminCommand.Users.class,
                AdminCommand.Tiers.class, AdminCommand.Tokens.class, AdminCommand.Machines.class,
                AdminCommand.Reports.class, AdminCommand.Patches.class, AdminCommand.AuditLog.class,
                SyncTokenCommand.class, SyncCommand.class, OfflineCommands.Export.class, OfflineCommands.Import.class,
                RolloutCommand.class, PluginCommand.class, VerifyStoreCommand.class, DownstreamCommand.class},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:success", "2:bad usage, or the server refused the input (400)", "4:the command failed (server unreachable, 429, 5xx)",
                "5:not logged in, session expired, or role refused (401, 403)", "6:not found (404)", "7:conflict (409)"},
        footer = {"", "Environment: PATCHFLEET_SERVER (server URL, default http://127.0.0.1:8080), PATCHFLEET_ADMIN_TOKEN (a token "
                + "instead of the stored session), PATCHFLEET_ADMIN_PASSWORD (login without a prompt).",
                "", "Example:", "  patchfleet admin login --server http://patchfleet.example:8080 --user admin",
                "  patchfleet admin tier list"})
public class AdminCommand implements Runnable {
    static final String DEFAULT_SERVER = "http://127.0.0.1:8080";

    @Spec
    CommandSpec spec;

    final Map<String, String> env;
    final Supplier<Console> console;

    /** The command for this process: its environment and terminal. */
    public AdminCommand() {
        this(System.getenv(), System::console);
    }

    /** For tests: a given environment and no terminal. */
    public AdminCommand(Map<String, String> env, Supplier<Console> console) {
        this.env = Map.copyOf(env);
        this.console = console;
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** Options every verb takes. */
    static final class Common {
        @Option(names = "--server", paramLabel = "URL", description = "The server (default: $PATCHFLEET_SERVER, the server of the stored session, else "
                + DEFAULT_SERVER + ")")
        String server;

        @Option(names = "--format", paramLabel = "FORMAT", defaultValue = "table", description = "Output: table, json or yaml (default: ${DEFAULT-VALUE})")
        Output.Format format;
    }

    /** The base of every verb: finds the server and token, calls, prints, maps failures to exit codes. */
    abstract static class Verb implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        Common common;

        AdminCommand root() {
            CommandLine c = spec.commandLine();
            while (c != null && !(c.getCommand() instanceof AdminCommand)) {
                c = c.getParent();
            }
            if (c == null) {
                throw new IllegalStateException("not under 'admin'");
            }
            return (AdminCommand) c.getCommand();
        }

        AdminSession session() {
            return AdminSession.of(root().env);
        }

        String server() {
            if (common.server != null && !common.server.isBlank()) {
                return common.server;
            }
            String env = root().env.get("PATCHFLEET_SERVER");
            if (env != null && !env.isBlank()) {
                return env;
            }
            return session().read().map(AdminSession.Stored::server).filter(s -> s != null && !s.isBlank()).orElse(DEFAULT_SERVER);
        }

        /** PATCHFLEET_ADMIN_TOKEN, else the stored token, but only for the server it was issued by. */
        Optional<String> token(String server) {
            String env = root().env.get("PATCHFLEET_ADMIN_TOKEN");
            if (env != null && !env.isBlank()) {
                return Optional.of(env.strip());
            }
            return session().read().filter(s -> same(s.server(), server)).map(AdminSession.Stored::token);
        }

        static boolean same(String a, String b) {
            return a != null && b != null && strip(a).equals(strip(b));
        }

        private static String strip(String url) {
            return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
        }

        AdminClient client() {
            String server = server();
            return new AdminClient(server, token(server).orElse(null));
        }

        PrintWriter out() {
            return spec.commandLine().getOut();
        }

        @Override
        public Integer call() throws Exception {
            try {
                Object result = execute(client());
                if (result != null) {
                    print(result);
                }
                out().flush();
                return ExitCodes.OK;
            } catch (AdminClient.Failure e) {
                spec.commandLine().getErr().println("patchfleet admin: " + e.getMessage());
                spec.commandLine().getErr().flush();
                return e.exitCode;
            }
        }

        /** Calls the server; returns what to print, or null when the verb printed itself. */
        abstract Object execute(AdminClient client) throws AdminClient.Failure, IOException;

        /** Which list in the answer a table shows, and which columns (empty: all). */
        String listKey() {
            return null;
        }

        List<String> columns() {
            return List.of();
        }

        void print(Object result) {
            if (Output.writeStructured(out(), common.format, result)) {
                return;
            }
            Map<?, ?> map = (Map<?, ?>) result;
            String key = listKey();
            if (key != null && map.get(key) instanceof List<?> list) {
                List<Map<String, Object>> rows = new ArrayList<>();
                for (Object o : list) {
                    rows.add(row((Map<?, ?>) o, columns()));
                }
                Output.table(out(), rows);
                if (map.get("total") instanceof Number total && total.longValue() > rows.size()) {
                    out().println("(" + rows.size() + " of " + total + "; page with --offset and --limit)");
                }
            } else {
                fields(out(), map);
            }
            out().flush();
        }

        static Map<String, Object> row(Map<?, ?> item, List<String> columns) {
            Map<String, Object> row = new LinkedHashMap<>();
            if (columns.isEmpty()) {
                item.forEach((k, v) -> row.put(String.valueOf(k), cell(v)));
            } else {
                for (String c : columns) {
                    row.put(c, cell(item.get(c)));
                }
            }
            return row;
        }

        static Object cell(Object v) {
            if (v instanceof List<?> l) {
                return l.isEmpty() ? "-" : String.join(",", l.stream().map(String::valueOf).toList());
            }
            if (v instanceof Map<?, ?>) {
                return "…";
            }
            return v;
        }

        static void fields(PrintWriter out, Map<?, ?> map) {
            int width = map.keySet().stream().mapToInt(k -> String.valueOf(k).length()).max().orElse(0);
            map.forEach((k, v) -> {
                if (v instanceof Map<?, ?> || v instanceof List<?> l && !l.isEmpty() && l.get(0) instanceof Map<?, ?>) {
                    return; // nested detail: in --format json or yaml
                }
                String key = String.valueOf(k);
                out.println(key + ":" + " ".repeat(width - key.length() + 1) + (v == null ? "-" : cell(v)));
            });
        }

        /** Reads a password file's first line. */
        static String readPasswordFile(Path file) throws AdminClient.Failure {
            try {
                String text = Files.readString(file, StandardCharsets.UTF_8);
                int nl = text.indexOf('\n');
                return (nl < 0 ? text : text.substring(0, nl)).replace("\r", "");
            } catch (IOException e) {
                throw new AdminClient.Failure(ExitCodes.USAGE, "Cannot read the password file " + file + ": " + e.getMessage());
            }
        }
    }

    // ---- login, logout

    @Command(name = "login", mixinStandardHelpOptions = true,
            description = {"Log in to a server and keep the session token (0600 file in an owner-only directory).",
                    "The password comes from --password-file, else PATCHFLEET_ADMIN_PASSWORD, else a prompt.",
                    "On a new server, the first password is in DATA/initial-admin-password for user admin."},
            footer = {"", "Examples:", "  patchfleet admin login --server http://10.0.0.5:8080 --user admin",
                    "  PATCHFLEET_ADMIN_PASSWORD=... patchfleet admin login --user ci-bot"})
    static final class Login extends Verb {
        @Option(names = "--user", paramLabel = "NAME", defaultValue = "admin", description = "User name (default: ${DEFAULT-VALUE})")
        String user;

        @Option(names = "--password-file", paramLabel = "FILE", description = "Read the password from the first line of FILE")
        Path passwordFile;

        @Override
        Object execute(AdminClient ignored) throws AdminClient.Failure, IOException {
            String server = server();
            String password = password(server);
            Map<String, Object> answer = new AdminClient(server, null).post("/v1/admin/login", Map.of("user", user, "password", password));
            AdminSession session = session();
            session.write(new AdminSession.Stored(server, String.valueOf(answer.get("token")), String.valueOf(answer.get("expiresAt")),
                    String.valueOf(answer.get("user")), String.valueOf(answer.get("role"))));
            Map<String, Object> shown = new LinkedHashMap<>();
            shown.put("server", server);
            shown.put("user", answer.get("user"));
            shown.put("role", answer.get("role"));
            shown.put("expiresAt", answer.get("expiresAt"));
            shown.put("session", session.file().toString());
            if (common.format == Output.Format.table || common.format == Output.Format.humane) {
                out().println("Logged in to " + server + " as " + answer.get("user") + " (" + answer.get("role") + ") until "
                        + answer.get("expiresAt") + ".");
                return null;
            }
            return shown;
        }

        private String password(String server) throws AdminClient.Failure {
            if (passwordFile != null) {
                return readPasswordFile(passwordFile);
            }
            String env = root().env.get("PATCHFLEET_ADMIN_PASSWORD");
            if (env != null && !env.isEmpty()) {
                return env;
            }
            Console console = root().console.get();
            if (console == null) {
                throw new AdminClient.Failure(ExitCodes.USAGE, "No terminal to ask for the password: use --password-file FILE "
                        + "or set PATCHFLEET_ADMIN_PASSWORD");
            }
            char[] typed = console.readPassword("Password for %s at %s: ", user, server);
            if (typed == null) {
                throw new AdminClient.Failure(ExitCodes.USAGE, "No password given");
            }
            return new String(typed);
        }
    }

    @Command(name = "logout", mixinStandardHelpOptions = true, description = "End the session on the server and delete the stored token.",
            footer = {"", "Example:", "  patchfleet admin logout"})
    static final class Logout extends Verb {
        @Override
        Object execute(AdminClient client) throws AdminClient.Failure, IOException {
            try {
                client.post("/v1/admin/logout", Map.of());
            } catch (AdminClient.Failure e) {
                if (e.exitCode != ExitCodes.NOT_LOGGED_IN) {
                    throw e;
                }
            } finally {
                session().delete();
            }
            out().println("Logged out.");
            return null;
        }
    }

    // ---- users

    @Command(name = "user", mixinStandardHelpOptions = true, description = "Manage admin users (role admin).",
            subcommands = {UserList.class, UserAdd.class, UserSetRole.class, UserResetPassword.class, UserDelete.class},
            footer = {"", "Roles: admin (everything, users), operator (promote, tokens, tiers, deregister), auditor (read only).",
                    "", "Example:", "  patchfleet admin user add olga --role operator"})
    static final class Users implements Runnable {
        @Spec
        CommandSpec spec;

        @Override
        public void run() {
            spec.commandLine().usage(spec.commandLine().getOut());
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List users with their roles and last logins.",
            footer = {"", "Example:", "  patchfleet admin user list --format json"})
    static final class UserList extends Verb {
        @Override
        Object execute(AdminClient c) throws AdminClient.Failure {
            return c.get("/v1/admin/users");
        }

        @Override
        String listKey() {
            return "users";
        }
    }

    @Command(name = "add", mixinStandardHelpOptions = true,
            description = "Create a user. Without --password-file the server generates a password and it is shown once.",
            footer = {"", "Examples:", "  patchfleet admin user add ali --role auditor",
                    "  patchfleet admin user add ci-bot --role operator --password-file ./bot.pw"})
    static final class UserAdd extends Verb {
        @Parameters(paramLabel = "NAME", description = "1-64 characters of a-z 0-9 . _ @ -")
        String name;

        @Option(names = "--role", required = true, paramLabel = "ROLE", description = "admin, operator or auditor")
        String role;

        @Option(names = "--password-file", paramLabel = "FILE", description = "The password, from the first line of FILE (at least 10 characters)")
        Path passwordFile;

        @Override
        Object execute(AdminClient c) throws AdminClient.Failure {
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("name", name);
            body.put("role", role);
            if (passwordFile != null) {
                body.put("password", readPasswordFile(passwordFile));
            }
            return c.post("/v1/admin/users", body);
        }
    }

    @Command(name = "set-role", mixinStandardHelpOptions = true, description = "Change a user's role; the user's sessions end.",
            footer = {"", "Example:", "  patchfleet admin user set-role olga auditor"})
    static final class UserSetRole extends Verb {
        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @Parameters(index = "1", paramLabel = "ROLE", description = "admin, operator or auditor")
        String role;

        @Override
        Object execute(AdminClient c) throws AdminClient.Failure {
            return c.put("/v1/admin/users/" + AdminClient.encode(name) + "/role", Map.of("role", role));
        }
    }

    @Command(name = "reset-password", mixinStandardHelpOptions = true,
            description = {"Set a new password (generated and shown once unless --password-file); clears a lockout and ends the user's sessions.",
                    "Resetting admin's password deletes the initial-admin-password file."},
            footer = {"", "Example:", "  patchfleet admin user reset-password olga"})
    static final class UserResetPassword extends Verb {
        @Parameters(paramLabel = "NAME")
        String name;

        @Option(names = "--password-file", paramLabel = "FILE", description = "The new password, from the first line of FILE")
        Path passwordFile;

        @Override
        Object execute(AdminClient c) throws AdminClient.Failure {
            Map<String, Object> body = new LinkedHashMap<>();
            if (passwordFile != null) {
                body.put("password", readPasswordFile(passwordFile));
            }
            return c.post("/v1/admin/users/" + AdminClient.encode(name) + "/password", body);
        }
    }

    @Command(name = "delete", mixinStandardHelpOptions = true, description = "Delete a user (never the last admin).",
            footer = {"", "Example:", "  patchfleet admin user delete olga"})
    static final class UserDelete extends Verb {
        @Parameters(paramLabel = "NAME")
        String name;

        @Override
        Object execute(AdminClient c) throws AdminClient.Failure {
            c.delete("/v1/admin/users/" + AdminClient.encode(name));
            out().println("Deleted user " + name + ".");
            return null;
        }
    }

    // ---- tiers

    @Command(name = "tier", mixinStandardHelpOptions = true, description = "The ordered rollout tiers: list, add, delete, order.",
            subcommands = {TierList.class, TierAdd.class, TierDelete.class, TierOrder.class},
            footer = {"", "Example:", "  patchfleet admin tier add canary --position 1"})
    static final class Tiers implements Runnable {
        @Spec
        CommandSpec spec;

        @Override
        public void run() {
            spec.commandLine().usage(spec.commandLine().getOut());
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List tiers in order with their machines and available patches.",
            footer = {"", "Example:", "  patchfleet admin tier list"})
    static class TierList extends Verb {
        @Override
        Object execute(AdminClient c) throws AdminClient.Failure {
            return c.get("/v1/admin/tiers");
        }

        @Override
        String listKey() {
            return "tiers";
        }
    }

    @Command(name = "add", mixinStandardHelpOptions = true, description = "Add a tier at a position (0 is first; default: last).",
            footer = {"", "Example:", "  patchfleet admin tier add canary --position 1"})
    static final class TierAdd extends TierList {
        @Parameters(paramLabel = "NAME", description = "1-63 characters of a-z 0-9 -")
        String name;

        @Option(names = "--position", paramLabel = "N")
        Integer position;

        @Override
        Object execute(AdminClient c) throws AdminClient.Failure {
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("name", name);
            if (position != null) {
                body.put("position", position);
            }
            return c.post("/v1/admin/tiers", body);
        }
    }

    @Command(name = "delete", mixinStandardHelpOptions = true,
            description = "Delete a tier that has no machines and no enrollment tokens; its patches fall back to the tier before it.",
            footer = {"", "Example:", "  patchfleet admin tier delete canary"})
    static final class TierDelete extends TierList {
        @Parameters(paramLabel = "NAME")
        String name;

        @Override
        Object execute(AdminClient c) throws AdminClient.Failure {
            return c.delete("/v1/admin/tiers/" + AdminClient.encode(name));
        }
    }

    @Command(name = "order", mixinStandardHelpOptions = true, description = "Reorder the tiers: name every tier once, first to last.",
            footer = {"", "Example:", "  patchfleet admin tier order edge canary beta candidate stable"})
    static final class TierOrder extends TierList {
        @Parameters(paramLabel = "TIER", arity = "1..*")
        List<String> order;

        @Override
        Object execute(AdminClient c) throws AdminClient.Failure {
            return c.put("/v1/admin/tiers", Map.of("order", order));
        }
    }

    // ---- enrollment tokens

    @Command(name = "token", mixinStandardHelpOptions = true, description = "Enrollment tokens that machines enable with: create, list, revoke.",
            subcommands = {TokenCreate.class, TokenList.class, TokenRevoke.class},
            footer = {"", "Example:", "  patchfleet admin token create edge --expires-in 7d --max-uses 100"})
    static final class Tokens implements Runnable {
        @Spec
        CommandSpec spec;

        @Override
        public void run() {
            spec.commandLine().usage(spec.commandLine().getOut());
        }
    }

    @Command(name = "create", mixinStandardHelpOptions = true,
            description = "Create a token bound to a tier. Its secret is shown once: give it to 'patchfleet enable'.",
            footer = {"", "Example:", "  patchfleet admin token create stable --expires-in 24h --max-uses 50 --description 'rack 12'"})
    static final class TokenCreate extends Verb {
        @Parameters(paramLabel = "TIER")
        String tier;

        @Option(names = "--expires-in", paramLabel = "DURATION", defaultValue = "24h", description = "Lifetime: 90s, 30m, 24h, 7d (default: ${DEFAULT-VALUE})")
        String expiresIn;

        @Option(names = "--max-uses", paramLabel = "N", defaultValue = "1", description = "How many machines may enroll with it (default: ${DEFAULT-VALUE})")
        int maxUses;

        @Option(names = "--description", paramLabel = "TEXT", defaultValue = "")
        String description;

        @Override
        Object execute(AdminClient c) throws AdminClient.Failure {
            return c.post("/v1/admin/tokens", Map.of("tier", tier, "expiresIn", expiresIn, "maxUses", maxUses,
                    "description", description));
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List tokens (never their secrets), revoked and expired ones too.",
            footer = {"", "Example:", "  patchfleet admin token list --format yaml"})
    static final class TokenList extends Verb {
        @Override
        Object execute(AdminClient c) throws AdminClient.Failure {
            return c.get("/v1/admin/tokens");
        }

        @Override
        String listKey() {
            return "tokens";
        }

        @Override
        List<String> columns() {
            return List.of("id", "tier", "uses", "maxUses", "expiresAt", "revoked", "usable", "createdBy", "description");
        }
    }

    @Command(name = "revoke", mixinStandardHelpOptions = true, description = "Revoke a token; machines enrolled with it stay enrolled.",
            footer = {"", "Example:", "  patchfleet admin token revoke 3f2a9c0d11e4b7a5"})
    static final class TokenRevoke extends Verb {
        @Parameters(paramLabel = "ID")
        String id;

        @Override
        Object execute(AdminClient c) throws AdminClient.Failure {
            return c.post("/v1/admin/tokens/" + AdminClient.encode(id) + "/revoke", Map.of());
        }
    }

    // ---- machines

    @Command(name = "machine", mixinStandardHelpOptions = true, description = "Enrolled machines: list with filters, show, deregister.",
            subcommands = {MachineList.class, MachineShow.class, MachineDeregister.class, MachineTagsCommand.class},
            footer = {"", "Example:", "  patchfleet admin machine list --tier stable --state apply-failed"})
    static final class Machines implements Runnable {
        @Spec
        CommandSpec spec;

        @Override
        public void run() {
            spec.commandLine().usage(spec.commandLine().getOut());
        }
    }

    /** Machine filters shared by machine list and report patch-health. */
    static final class Filters {
        @Option(names = "--tier", paramLabel = "TIER")
        String tier;

        @Option(names = "--kernel", paramLabel = "RELEASE", description = "Kernel release (uname -r)")
        String kernel;

        @Option(names = "--patch-version", paramLabel = "N")
        Long patchVersion;

        @Option(names = "--state", paramLabel = "STATE", description = "Patch state: applied, apply-failed, unapplied, needs-check, nothing-to-apply, unknown, check-failed, applied-with-bug, kernel-upgrade-required")
        String state;

        @Option(names = "--seen-after", paramLabel = "TIME|AGE", description = "Last report at or after a time (RFC 3339) or within an age (30m, 2h, 7d)")
        String seenAfter;

        @Option(names = "--seen-before", paramLabel = "TIME|AGE", description = "Silent since: last report before it, or never reported")
        String seenBefore;

        @Option(names = "--held", description = "Only machines the rollout policies hold back (their last check-in's answer was a hold)")
        boolean held;

        @Option(names = "--held-reason", paramLabel = "TEXT", description = "Only held machines whose reason contains TEXT, ignoring case "
                + "(e.g. window, wave, halted)")
        String heldReason;

        Map<String, Object> params() {
            Map<String, Object> p = new LinkedHashMap<>();
            p.put("tier", tier);
            p.put("kernel", kernel);
            p.put("patch-version", patchVersion);
            p.put("state", state);
            p.put("seen-after", seenAfter);
            p.put("seen-before", seenBefore);
            p.put("held", held ? "true" : null);
            p.put("held-reason", heldReason);
            return p;
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List machines with their last report, a page at a time.",
            footer = {"", "Examples:", "  patchfleet admin machine list --kernel 5.15.0-91-generic --patch-version 3",
                    "  patchfleet admin machine list --seen-before 2d    # silent for two days",
                    "  patchfleet admin machine list --tier stable --held-reason window    # waiting for a maintenance window"})
    static final class MachineList extends Verb {
        @Mixin
        Filters filters;

        @Option(names = "--offset", paramLabel = "N", defaultValue = "0")
        int offset;

        @Option(names = "--limit", paramLabel = "N", defaultValue = "100", description = "At most N machines, 1-1000 (default: ${DEFAULT-VALUE})")
        int limit;

        @Override
        Object execute(AdminClient c) throws AdminClient.Failure {
            Map<String, Object> p = filters.params();
            p.put("offset", offset);
            p.put("limit", limit);
            return c.get(AdminClient.query("/v1/admin/machines", p));
        }

        @Override
        String listKey() {
            return "machines";
        }

        @Override
        List<String> columns() {
            return List.of("id", "tier", "kernel", "patchState", "patchVersion", "lastSeen", "clientVersion", "held");
        }
    }

    @Command(name = "show", mixinStandardHelpOptions = true, description = {"Show a machine, the rollout decision of its last "
            + "check-in (offer, or hold with the reason and until when) and its last report."},
            footer = {"", "Example:", "  patchfleet admin machine show 4c4c4544004a4d10 --format yaml"})
    static final class MachineShow extends Verb {
        @Parameters(paramLabel = "ID")
        String id;

        @Override
        Object execute(AdminClient c) throws AdminClient.Failure {
            return c.get("/v1/admin/machines/" + AdminClient.encode(id));
        }
    }

    @Command(name = "deregister", mixinStandardHelpOptions = true,
            description = "Remove a machine and its reports; its credential stops working (it may enroll again with a token).",
            footer = {"", "Example:", "  patchfleet admin machine deregister 4c4c4544004a4d10"})
    static final class MachineDeregister extends Verb {
        @Parameters(paramLabel = "ID")
        String id;

        @Override
        Object execute(AdminClient c) throws AdminClient.Failure {
            c.delete("/v1/admin/machines/" + AdminClient.encode(id));
            out().println("Deregistered machine " + id + ".");
            return null;
        }
    }

    // ---- reports

    @Command(name = "report", mixinStandardHelpOptions = true, description = "Fleet reports.",
            subcommands = {PatchHealth.class}, footer = {"", "Example:", "  patchfleet admin report patch-health --tier stable"})
    static final class Reports implements Runnable {
        @Spec
        CommandSpec spec;

        @Override
        public void run() {
            spec.commandLine().usage(spec.commandLine().getOut());
        }
    }

    @Command(name = "patch-health", mixinStandardHelpOptions = true,
            description = "Machines per tier, patch version and patch state (never-reported machines count as needs-check, version 0).",
            footer = {"", "Examples:", "  patchfleet admin report patch-health", "  patchfleet admin report patch-health --tier beta --kernel 5.15.0-91-generic"})
    static final class PatchHealth extends Verb {
        @Mixin
        Filters filters;

        @Override
        Object execute(AdminClient c) throws AdminClient.Failure {
            return c.get(AdminClient.query("/v1/admin/reports/patch-health", filters.params()));
        }

        @Override
        String listKey() {
            return "health";
        }

        /** The table, then one warning line per patch offered here although the upstream withdrew it. */
        @Override
        void print(Object result) {
            super.print(result);
            if (common.format == Output.Format.table && result instanceof Map<?, ?> m && m.get("upstreamWithdrawn") instanceof List<?> l) {
                for (Object o : l) {
                    Map<?, ?> w = (Map<?, ?>) o;
                    out().println("enabled (!) " + w.get("kernel") + " " + w.get("architecture") + " v" + w.get("version")
                            + ": withdrawn upstream " + w.get("upstreamWithdrawnAt") + ", kept by " + w.get("keptBy") + "; "
                            + w.get("machines") + " machine(s) run it");
                }
                out().flush();
            }
        }
    }

    // ---- patches

    @Command(name = "patch", mixinStandardHelpOptions = true,
            description = "Patch releases: list, show, promote, promote-all, revoke, keep (despite an upstream withdrawal), unkeep.",
            subcommands = {PatchList.class, PatchPromote.class, PatchPromoteAll.class, PatchRevoke.class,
                    PatchKeepCommands.Show.class, PatchKeepCommands.Keep.class, PatchKeepCommands.Unkeep.class},
            footer = {"", "Example:", "  patchfleet admin patch promote 5.15.0-91-generic 3 beta"})
    static final class Patches implements Runnable {
        @Spec
        CommandSpec spec;

        @Override
        public void run() {
            spec.commandLine().usage(spec.commandLine().getOut());
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true,
            description = {"List the patches of a kernel release (revoked too), or those available to a tier; default: all not revoked.",
                    "state: enabled, 'enabled (!)' (the upstream withdrew it, an admin here keeps it), blocked (revoked here because",
                    "the upstream withdrew it), revoked. JSON adds upstreamWithdrawn, upstreamWithdrawnAt, upstreamWithdrawnReason,",
                    "revokedBy (publisher, local, upstream), keptBy, keptAt."},
            footer = {"", "Examples:", "  patchfleet admin patch list --kernel 5.15.0-91-generic", "  patchfleet admin patch list --tier stable",
                    "  patchfleet admin patch list --format json"})
    static final class PatchList extends Verb {
        @Option(names = "--kernel", paramLabel = "RELEASE")
        String kernel;

        @Option(names = "--tier", paramLabel = "TIER")
        String tier;

        @Option(names = "--offset", paramLabel = "N", defaultValue = "0")
        int offset;

        @Option(names = "--limit", paramLabel = "N", defaultValue = "100")
        int limit;

        @Override
        Object execute(AdminClient c) throws AdminClient.Failure {
            Map<String, Object> p = new LinkedHashMap<>();
            p.put("kernel", kernel);
            p.put("tier", tier);
            p.put("offset", offset);
            p.put("limit", limit);
            return c.get(AdminClient.query("/v1/admin/patches", p));
        }

        @Override
        String listKey() {
            return "patches";
        }

        @Override
        List<String> columns() {
            return List.of("kernel", "architecture", "version", "promotedTo", "state", "severity", "cves", "publishedAt");
        }
    }

    /** Which build of a kernel release, when the release alone is ambiguous. */
    static final class KernelBuild {
        @Option(names = "--arch", paramLabel = "ARCH", description = "Architecture (uname -m), when the release has several")
        String architecture;

        @Option(names = "--build", paramLabel = "BUILD", description = "Kernel build (uname -v), when the release has several")
        String build;

        void into(Map<String, Object> body) {
            if (architecture != null) {
                body.put("architecture", architecture);
            }
            if (build != null) {
                body.put("build", build);
            }
        }
    }

    @Command(name = "promote", mixinStandardHelpOptions = true,
            description = "Make a patch available to a tier and every tier before it.",
            footer = {"", "Example:", "  patchfleet admin patch promote 5.15.0-91-generic 3 beta"})
    static final class PatchPromote extends Verb {
        @Parameters(index = "0", paramLabel = "KERNEL", description = "Kernel release (uname -r)")
        String kernel;

        @Parameters(index = "1", paramLabel = "VERSION")
        long version;

        @Parameters(index = "2", paramLabel = "TIER")
        String tier;

        @Mixin
        KernelBuild which;

        @Override
        Object execute(AdminClient c) throws AdminClient.Failure {
            Map<String, Object> body = new LinkedHashMap<>(Map.of("kernel", kernel, "version", version, "tier", tier));
            which.into(body);
            return c.post("/v1/admin/patches/promote", body);
        }
    }

    @Command(name = "promote-all", mixinStandardHelpOptions = true,
            description = "Promote every patch available to one tier to a later tier.",
            footer = {"", "Example:", "  patchfleet admin patch promote-all edge beta"})
    static final class PatchPromoteAll extends Verb {
        @Parameters(index = "0", paramLabel = "FROM")
        String from;

        @Parameters(index = "1", paramLabel = "TO")
        String to;

        @Override
        Object execute(AdminClient c) throws AdminClient.Failure {
            return c.post("/v1/admin/patches/promote-all", Map.of("from", from, "to", to));
        }
    }

    @Command(name = "revoke", mixinStandardHelpOptions = true,
            description = "Revoke a patch: never offered again; machines running it are told to revert.",
            footer = {"", "Example:", "  patchfleet admin patch revoke 5.15.0-91-generic 3"})
    static final class PatchRevoke extends Verb {
        @Parameters(index = "0", paramLabel = "KERNEL")
        String kernel;

        @Parameters(index = "1", paramLabel = "VERSION")
        long version;

        @Mixin
        KernelBuild which;

        @Override
        Object execute(AdminClient c) throws AdminClient.Failure {
            Map<String, Object> body = new LinkedHashMap<>(Map.of("kernel", kernel, "version", version));
            which.into(body);
            return c.post("/v1/admin/patches/revoke", body);
        }
    }

    // ---- audit

    @Command(name = "audit", mixinStandardHelpOptions = true,
            description = "The audit log: every change with who, when, what, before and after (before/after in json or yaml).",
            footer = {"", "Examples:", "  patchfleet admin audit --limit 20", "  patchfleet admin audit --after 120 --format json"})
    static final class AuditLog extends Verb {
        @Option(names = "--after", paramLabel = "ID", defaultValue = "0", description = "Entries after this id (default: from the start)")
        long after;

        @Option(names = "--limit", paramLabel = "N", defaultValue = "100", description = "At most N entries, 1-1000 (default: ${DEFAULT-VALUE})")
        int limit;

        @Override
        Object execute(AdminClient c) throws AdminClient.Failure {
            Map<String, Object> p = new LinkedHashMap<>();
            p.put("after", after);
            p.put("limit", limit);
            return c.get(AdminClient.query("/v1/admin/audit", p));
        }

        @Override
        String listKey() {
            return "entries";
        }

        @Override
        List<String> columns() {
            return List.of("id", "time", "actor", "action", "target");
        }
    }
}
