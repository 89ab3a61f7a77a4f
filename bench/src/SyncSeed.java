import io.patchfleet.model.Cve;
import io.patchfleet.model.KernelId;
import io.patchfleet.model.PatchRelease;
import io.patchfleet.model.Sha256;
import io.patchfleet.trust.api.PublishRequest;
import io.patchfleet.trust.api.RoleName;
import io.patchfleet.trust.api.SigningKey;
import io.patchfleet.trust.tuf.KernelRoles;
import io.patchfleet.trust.tuf.KeyFiles;
import io.patchfleet.trust.tuf.RepositoryDirectory;
import io.patchfleet.trust.tuf.Tuf;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * Seeds a publisher repository for the sync benchmark (bench/sync.sh): KERNELS kernel series
 * with VERSIONS patch versions each, every module SIZE random bytes (seeded, so every run
 * publishes the same bytes), published in ONE signing through the same TUF publisher that
 * 'patchfleet publisher add' uses, with the keys that 'patchfleet publisher init
 * --insecure-plain-keys' wrote. The modules are not ELF files: servers store and serve bytes
 * that match the signed length and SHA-256 and never parse them (only clients do), which is
 * what the benchmark measures.
 *
 * usage: java -cp JARS bench/src/SyncSeed.java REPO KERNELS VERSIONS SIZE [WARM]
 *        WARM more kernel series (aarch64, modules named lkp_benchw_*) in the same signing: what
 *        bench/sync.sh's warm-up sync fetches before the measured one (WARMUP_KERNELS)
 *        java -cp JARS bench/src/SyncSeed.java REPO --expired
 * The second form re-signs snapshot and timestamp as of eight days ago, so the new timestamp
 * (seven days' lifetime) has expired: for the expired-metadata test (integration-tests/chain).
 */
public class SyncSeed {
    public static void main(String[] a) throws Exception {
        Path dir = Path.of(a[0]);
        if (a.length == 2 && a[1].equals("--expired")) {
            Instant past = Instant.now().minus(Duration.ofDays(8));
            Tuf.trustService().publisher().publish(RepositoryDirectory.repository(dir),
                    new PublishRequest(List.of(), Set.of(), Duration.ofDays(90), Duration.ofDays(7)), keys(dir), past);
            System.err.println("re-signed snapshot and timestamp as of " + past + ": the timestamp has expired");
            return;
        }
        int kernels = Integer.parseInt(a[1]);
        int versions = Integer.parseInt(a[2]);
        int size = Integer.parseInt(a[3]);
        RepositoryDirectory repo = RepositoryDirectory.repository(dir);
        Map<RoleName, List<SigningKey>> keys = keys(dir);
        Random random = new Random(42);
        byte[] bytes = new byte[size];
        Instant now = Instant.now();
        List<PatchRelease> all = new ArrayList<>();
        long total = 0;
        int warm = a.length > 4 ? Integer.parseInt(a[4]) : 0;
        for (int k = 0; k < kernels + warm; k++) {
            boolean w = k >= kernels;
            KernelId kernel = w ? new KernelId("6.1.0-" + (2000 + k - kernels) + "-arm64", "aarch64", "arm64", "")
                    : new KernelId("6.1.0-" + (1000 + k) + "-amd64", "x86_64", "amd64", "");
            for (int v = 1; v <= versions; v++) {
                random.nextBytes(bytes);
                String module = (w ? "lkp_benchw_" + (k - kernels) : "lkp_bench_" + k) + "_" + v;
                String target = KernelRoles.targetName(kernel, module + ".ko");
                Path file = repo.targetPath(target);
                Files.createDirectories(file.getParent());
                Files.write(file, bytes);
                all.add(new PatchRelease(kernel, v, module, target, Sha256.digestOf(bytes), size,
                        List.of(new Cve("CVE-2024-1086", io.patchfleet.model.Severity.HIGH)), "sync bench", now, v - 1, false));
                total += size;
            }
        }
        long t0 = System.nanoTime();
        Tuf.trustService().publisher().publish(repo, new PublishRequest(all, Set.of(), Duration.ofDays(90), Duration.ofDays(7)),
                keys, now);
        System.err.printf("published %d modules (%d + %d warm-up kernels x %d versions, %d bytes) in %d ms%n", all.size(),
                kernels, warm, versions, total, (System.nanoTime() - t0) / 1_000_000);
    }

    /** The unencrypted keys that 'patchfleet publisher init --insecure-plain-keys' wrote. */
    static Map<RoleName, List<SigningKey>> keys(Path dir) throws Exception {
        Map<RoleName, List<SigningKey>> keys = new EnumMap<>(RoleName.class);
        for (RoleName role : List.of(RoleName.TARGETS, RoleName.SNAPSHOT, RoleName.TIMESTAMP)) {
            try (var files = Files.list(dir.resolve("keys"))) {
                Path f = files.filter(p -> p.getFileName().toString().startsWith(role.wireName() + "-")).findFirst()
                        .orElseThrow(() -> new IllegalStateException("no " + role.wireName() + " key in " + dir.resolve("keys")));
                keys.put(role, List.of(KeyFiles.read(f, null)));
            }
        }
        return keys;
    }
}
