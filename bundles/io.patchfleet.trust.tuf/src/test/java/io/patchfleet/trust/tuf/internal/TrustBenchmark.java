package io.patchfleet.trust.tuf.internal;

import io.patchfleet.model.KernelId;
import io.patchfleet.model.PatchRelease;
import io.patchfleet.model.Sha256;
import io.patchfleet.trust.api.DelegatedTargets;
import io.patchfleet.trust.api.TrustedMetadata;
import io.patchfleet.trust.api.VerifiedTarget;
import io.patchfleet.trust.tuf.TargetVerification;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;

/**
 * The trust benchmark ({@code bench/trust.sh}): not a JUnit test, a {@code main} run from the
 * test class path so it reuses the test fixture. Prints Markdown rows for BENCHMARKS.md.
 *
 * <p>(a) Verifying a refresh of a repository with 10,000 patch targets over 500 kernel roles:
 * a client's full workflow (root, timestamp, snapshot, targets, its own kernel's role) and a
 * server mirroring every role, each from an empty trusted store. (b) Checking a 1 MiB module
 * with {@link TargetVerification} (SHA-256 and SHA-512, as when the target lists both) against
 * plain {@link MessageDigest} SHA-256, SHA-512 and both, over the same bytes in the same run.
 * Medians of several iterations after a warm-up.
 */
public final class TrustBenchmark {
    static final int KERNELS = 500;
    static final int PATCHES_PER_KERNEL = 20;

    public static void main(String[] args) throws Exception {
        int iterations = args.length > 0 ? Integer.parseInt(args[0]) : 15;
        Path dir = Files.createTempDirectory("pf-trust-bench");
        try {
            refresh(dir, iterations);
            hashing(iterations * 4);
        } finally {
            try (var s = Files.walk(dir)) {
                s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    static KernelId kernel(int i) {
        return KernelId.of("5." + (i / 100) + ".0-" + (i % 100 + 1) + "-generic", i % 2 == 0 ? "x86_64" : "aarch64", "");
    }

    static void refresh(Path dir, int iterations) throws Exception {
        Fixture repo = new Fixture(dir, false);
        List<PatchRelease> all = new ArrayList<>();
        for (int k = 0; k < KERNELS; k++) {
            for (int v = 1; v <= PATCHES_PER_KERNEL; v++) {
                all.add(Fixture.patch(kernel(k), v));
            }
        }
        long p0 = System.nanoTime();
        repo.publish(all, Set.of(), Fixture.T0);
        long publishMs = (System.nanoTime() - p0) / 1_000_000;
        Instant start = Fixture.T0.plusSeconds(60);
        KernelId mine = kernel(123);
        long[] client = new long[iterations];
        long[] mirror = new long[iterations];
        long clientBytes = 0;
        long mirrorBytes = 0;
        for (int i = -3; i < iterations; i++) { // 3 warm-up rounds
            Fixture.Source source = new Fixture.Source(repo.repo);
            TufVerifier v = repo.pinnedClient(new Fixture.MemoryStore());
            long t0 = System.nanoTime();
            v.refresh(source, start);
            Optional<DelegatedTargets> own = v.targetsFor(mine, source, start);
            long t1 = System.nanoTime();
            check(own.orElseThrow().targets().size() == PATCHES_PER_KERNEL, "own role");
            clientBytes = source.bytes.get();

            Fixture.Source serverSource = new Fixture.Source(repo.repo);
            TufVerifier server = repo.pinnedClient(new Fixture.MemoryStore());
            long s0 = System.nanoTime();
            TrustedMetadata md = server.refresh(serverSource, start);
            int targets = 0;
            for (String role : md.delegatedRoles().keySet()) {
                targets += server.delegatedTargets(role, serverSource, start).targets().size();
            }
            long s1 = System.nanoTime();
            check(targets == KERNELS * PATCHES_PER_KERNEL, "mirror saw " + targets);
            mirrorBytes = serverSource.bytes.get();
            if (i >= 0) {
                client[i] = t1 - t0;
                mirror[i] = s1 - s0;
            }
        }
        System.out.printf("published %d targets for %d kernels in %d ms (one publish, scratch folder)%n",
                all.size(), KERNELS, publishMs);
        System.out.println("| refresh of 10,000 targets, 500 kernel roles | median (ms) | min (ms) | downloaded | per target |");
        System.out.println("|---|---:|---:|---:|---:|");
        System.out.printf("| client: root, timestamp, snapshot, targets + own kernel role (20 targets) | %.1f | %.1f | %,d bytes, 5 files | - |%n",
                median(client) / 1e6, min(client) / 1e6, clientBytes);
        System.out.printf("| server mirror: the same + all 500 kernel roles | %.1f | %.1f | %,d bytes, 504 files | %.1f µs |%n",
                median(mirror) / 1e6, min(mirror) / 1e6, mirrorBytes, median(mirror) / 1e3 / (KERNELS * PATCHES_PER_KERNEL));
    }

    static void hashing(int iterations) throws Exception {
        byte[] module = new byte[1024 * 1024];
        new Random(42).nextBytes(module);
        String sha256 = Sha256.digestOf(module).hex();
        String sha512 = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-512").digest(module));
        VerifiedTarget both = new VerifiedTarget("5.15.0-91-generic/x86_64/bench.ko", module.length,
                Map.of("sha256", sha256, "sha512", sha512), Optional.empty());
        VerifiedTarget only256 = new VerifiedTarget("5.15.0-91-generic/x86_64/bench.ko", module.length,
                Map.of("sha256", sha256), Optional.empty());
        Map<String, Timed> cases = new java.util.LinkedHashMap<>();
        cases.put("MessageDigest SHA-256 (ceiling)", () -> MessageDigest.getInstance("SHA-256").digest(module));
        cases.put("MessageDigest SHA-512", () -> MessageDigest.getInstance("SHA-512").digest(module));
        cases.put("MessageDigest SHA-256 + SHA-512", () -> {
            MessageDigest.getInstance("SHA-256").digest(module);
            MessageDigest.getInstance("SHA-512").digest(module);
        });
        cases.put("TargetVerification, target lists sha256", () -> TargetVerification.verify(only256, new ByteArrayInputStream(module)));
        cases.put("TargetVerification, target lists sha256 + sha512", () -> TargetVerification.verify(both, new ByteArrayInputStream(module)));
        Map<String, Double> mbps = new java.util.LinkedHashMap<>();
        for (int round = 0; round < 2; round++) { // round 0 warms up every case
            for (Map.Entry<String, Timed> e : cases.entrySet()) {
                long[] t = new long[iterations];
                for (int i = 0; i < iterations; i++) {
                    long t0 = System.nanoTime();
                    e.getValue().run();
                    t[i] = System.nanoTime() - t0;
                }
                mbps.put(e.getKey(), module.length / (1024.0 * 1024.0) / (median(t) / 1e9));
            }
        }
        double ceiling = mbps.get("MessageDigest SHA-256 (ceiling)");
        double ceilingBoth = mbps.get("MessageDigest SHA-256 + SHA-512");
        System.out.println();
        System.out.println("| checking a 1 MiB module (" + iterations + " runs, median) | MiB/s | vs plain SHA-256 | vs plain SHA-256 + SHA-512 |");
        System.out.println("|---|---:|---:|---:|");
        mbps.forEach((k, v) -> System.out.printf("| %s | %.0f | %.2f | %.2f |%n", k, v, v / ceiling, v / ceilingBoth));
    }

    interface Timed {
        void run() throws Exception;
    }

    static double median(long[] a) {
        long[] s = a.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2.0;
    }

    static long min(long[] a) {
        return Arrays.stream(a).min().orElse(0);
    }

    static void check(boolean ok, String what) {
        if (!ok) {
            throw new IllegalStateException("benchmark check failed: " + what);
        }
    }
}
