package io.patchfleet.cli;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code patchfleet admin export} and {@code admin import}: the air-gap bundle. */
final class OfflineCommands {
    private OfflineCommands() {}

    @Command(name = "export", mixinStandardHelpOptions = true,
            description = {"Write an offline bundle for a server without network: the publisher metadata of this server's",
                    "verified mirror (verbatim; the publisher's signatures are what the importer verifies) and the modules",
                    "of the releases available to a tier, filtered like sync. Built in memory on the server (512 MiB at most)."},
            footer = {"", "Examples:", "  patchfleet admin export --out patches-2026-03.zip",
                    "  patchfleet admin export --since 30d --architecture x86_64 --kernel-series 5.15 --out delta.zip"})
    static final class Export extends AdminCommand.Verb {
        @Option(names = "--out", paramLabel = "FILE", required = true, description = "Where to write the bundle (replaced atomically)")
        Path out;

        @Option(names = "--since", paramLabel = "WHEN", description = "Only modules published since: 2026-03-01, 2026-03-01T10:00:00Z or 30d")
        String since;

        @Option(names = "--tier", paramLabel = "TIER", description = "Modules available to this tier (default: the first tier, i.e. all)")
        String tier;

        @Option(names = "--architecture", paramLabel = "ARCH", description = "Keep only this architecture (repeatable)")
        List<String> architectures = List.of();

        @Option(names = "--flavour", paramLabel = "FLAVOUR", description = "Keep only this flavour (repeatable)")
        List<String> flavours = List.of();

        @Option(names = "--min-kernel-version", paramLabel = "VERSION", description = "Keep only kernels of at least this version")
        String minKernel;

        @Option(names = "--kernel-series", paramLabel = "PREFIX", description = "Keep only this kernel series (repeatable)")
        List<String> series = List.of();

        @Override
        Object execute(AdminClient ignored) throws AdminClient.Failure, IOException {
            String server = server();
            StringBuilder q = new StringBuilder("/v1/admin/sync/export");
            char sep = '?';
            Map<String, List<String>> params = new LinkedHashMap<>();
            params.put("since", since == null ? List.of() : List.of(since));
            params.put("tier", tier == null ? List.of() : List.of(tier));
            params.put("architectures", architectures);
            params.put("flavours", flavours);
            params.put("min-kernel-version", minKernel == null ? List.of() : List.of(minKernel));
            params.put("kernel-series", series);
            for (var e : params.entrySet()) {
                for (String v : e.getValue()) {
                    q.append(sep).append(AdminClient.encode(e.getKey())).append('=').append(AdminClient.encode(v));
                    sep = '&';
                }
            }
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(stripped(server) + q)).timeout(Duration.ofMinutes(30)).GET();
            token(server).ifPresent(t -> b.header("Authorization", "Bearer " + t));
            Path target = out.toAbsolutePath();
            Path tmp = target.resolveSibling(target.getFileName() + ".part");
            HttpResponse<Path> r;
            try {
                r = HttpClient.newBuilder().connectTimeout(AdminClient.CONNECT_TIMEOUT).build()
                        .send(b.build(), HttpResponse.BodyHandlers.ofFile(tmp));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AdminClient.Failure(ExitCodes.FAILED, "Interrupted");
            } catch (IOException e) {
                throw new AdminClient.Failure(ExitCodes.FAILED, "Cannot export from " + server + ": " + e.getMessage());
            }
            if (r.statusCode() != 200) {
                String body = Files.readString(tmp);
                Files.deleteIfExists(tmp);
                throw new AdminClient.Failure(r.statusCode() == 401 || r.statusCode() == 403 ? ExitCodes.NOT_LOGGED_IN
                        : r.statusCode() == 400 ? ExitCodes.USAGE : r.statusCode() == 404 ? ExitCodes.NOT_FOUND
                        : r.statusCode() == 409 ? ExitCodes.CONFLICT : ExitCodes.FAILED,
                        "Export refused (HTTP " + r.statusCode() + "): " + body);
            }
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            Map<String, Object> shown = new LinkedHashMap<>();
            shown.put("file", target.toString());
            shown.put("bytes", Files.size(target));
            shown.put("modules", Integer.parseInt(r.headers().firstValue("X-Patchfleet-Modules").orElse("0")));
            return shown;
        }

        private static String stripped(String s) {
            return s.endsWith("/") ? s.substring(0, s.length() - 1) : s;
        }
    }

    @Command(name = "import", mixinStandardHelpOptions = true,
            description = {"Load an offline bundle into the server. The server verifies it as sync does (TUF from its pinned",
                    "publisher root, every module against its signed target) and refuses a bundle altered anywhere;",
                    "importing the same bundle twice changes nothing. FILE must be on the server's host, readable by it."},
            footer = {"", "Examples:", "  patchfleet admin import /media/usb/patches-2026-03.zip",
                    "  patchfleet admin import ./delta.zip --root-sha256 $(sha256sum 1.root.json | cut -d' ' -f1)"})
    static final class Import extends AdminCommand.Verb {
        @Parameters(paramLabel = "FILE")
        Path file;

        @Option(names = "--root-sha256", paramLabel = "HEX", description = "The publisher root pin, when the server trusts none yet "
                + "and io.patchfleet.sync.http.cfg has no root.sha256")
        String rootSha256;

        @Override
        Object execute(AdminClient c) throws AdminClient.Failure {
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("path", file.toAbsolutePath().toString());
            if (rootSha256 != null) {
                body.put("rootSha256", rootSha256);
            }
            return c.post("/v1/admin/sync/import", body);
        }
    }
}
