package io.patchfleet.store.jdbc.internal;

import static io.patchfleet.store.jdbc.internal.Fixtures.K1;
import static io.patchfleet.store.jdbc.internal.Fixtures.T0;
import static io.patchfleet.store.jdbc.internal.Fixtures.report;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.patchfleet.model.Machine;
import io.patchfleet.model.MachineId;
import io.patchfleet.model.PatchState;
import io.patchfleet.model.TierName;
import io.patchfleet.store.api.IssuedToken;
import io.patchfleet.store.api.MachineFilter;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

class CrashAndConcurrencyTest {
    static final TierName EDGE = TierName.of("edge");

    @TempDir
    Path dir;

    /**
     * A child JVM opens the database, commits writes, prints how many, and is killed with
     * SIGKILL (no SHUTDOWN, no shutdown hooks); a new instance on the same files must see every
     * acknowledged write. A second JVM is needed: inside one JVM HSQLDB keeps the database open
     * and a "reopen" would not read the files.
     */
    @Test
    @Timeout(120)
    void committedWritesSurviveKillMinus9() throws Exception {
        String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process child = new ProcessBuilder(java.toString(), "-cp", classpath, WriterMain.class.getName(), dir.toString())
                .redirectErrorStream(true).start();
        int acknowledged = 0;
        try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = out.readLine()) != null) {
                if (line.startsWith("committed ")) {
                    acknowledged = Integer.parseInt(line.substring(10));
                    if (acknowledged >= 200) {
                        break;
                    }
                }
            }
        }
        child.destroyForcibly(); // SIGKILL
        assertTrue(child.waitFor(30, TimeUnit.SECONDS));
        assertTrue(acknowledged >= 200, "child acknowledged " + acknowledged);

        try (Database db = Fixtures.open(dir, new TestClock(T0))) {
            JdbcMachineStore machines = new JdbcMachineStore(db);
            long stored = machines.count(MachineFilter.ALL);
            assertTrue(stored >= acknowledged, "acknowledged " + acknowledged + ", found " + stored);
            for (int i = 0; i < acknowledged; i++) {
                assertTrue(machines.lastReport(MachineId.of("m" + i)).isPresent(), "report of m" + i);
            }
        }
    }

    /** The child of {@link #committedWritesSurviveKillMinus9}: writes until killed. */
    public static final class WriterMain {
        public static void main(String[] args) throws Exception {
            Database db = Fixtures.open(Path.of(args[0]), new TestClock(T0));
            JdbcMachineStore machines = new JdbcMachineStore(db);
            for (int i = 0;; i++) {
                MachineId id = MachineId.of("m" + i);
                machines.enroll(new Machine(id, EDGE, Set.of(), T0));
                machines.recordReport(report(id, K1, PatchState.APPLIED, 1, T0));
                System.out.println("committed " + (i + 1));
                System.out.flush();
            }
        }
    }

    @Test
    @Timeout(120)
    void concurrentWritersNeitherCorruptNorDeadlock() throws Exception {
        int threads = 8;
        int perThread = 150;
        try (Database db = new Database(new Database.Settings(Database.Settings.embedded(dir).url(), "SA", "", 4,
                Duration.ofSeconds(30)), new TestClock(T0))) {
            JdbcMachineStore machines = new JdbcMachineStore(db);
            JdbcEnrollmentStore enrollment = new JdbcEnrollmentStore(db);
            JdbcTierStore tiers = new JdbcTierStore(db);
            IssuedToken token = enrollment.createToken(EDGE, T0.plusSeconds(3600), threads * perThread / 2, "", "test");
            // Shared machines every thread reports for, to make writers collide on rows.
            for (int s = 0; s < 4; s++) {
                machines.enroll(new Machine(MachineId.of("shared" + s), EDGE, Set.of(), T0));
            }
            CyclicBarrier start = new CyclicBarrier(threads);
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            List<Future<Integer>> results = new ArrayList<>();
            long began = System.nanoTime();
            for (int t = 0; t < threads; t++) {
                int thread = t;
                results.add(pool.submit(() -> {
                    start.await(10, TimeUnit.SECONDS);
                    int enrolled = 0;
                    for (int i = 0; i < perThread; i++) {
                        MachineId id = MachineId.of("t" + thread + "-" + i);
                        try {
                            enrollment.enroll(token.secret(), id, Set.of());
                            enrolled++;
                            machines.recordReport(report(id, K1, PatchState.APPLIED, i, T0));
                        } catch (io.patchfleet.store.api.StoreException e) {
                            if (e.reason() != io.patchfleet.store.api.StoreException.Reason.REJECTED) {
                                throw e;
                            }
                        }
                        machines.recordReport(report(MachineId.of("shared" + (i % 4)), K1, PatchState.APPLIED, i, T0));
                        if (i % 50 == 0) {
                            tiers.define(List.of(EDGE, TierName.of("beta"), TierName.of("candidate"), TierName.of("stable")));
                        }
                    }
                    return enrolled;
                }));
            }
            int enrolled = 0;
            for (Future<Integer> f : results) {
                enrolled += f.get(90, TimeUnit.SECONDS);
            }
            pool.shutdownNow();
            double seconds = (System.nanoTime() - began) / 1e9;
            int writes = enrolled * 2 + threads * perThread;
            System.out.printf("concurrent writers: %d transactions in %.2f s (%.0f/s, one fsync each)%n", writes, seconds,
                    writes / seconds);

            assertEquals(threads * perThread / 2, enrolled, "the use limit holds under contention");
            assertEquals(threads * perThread / 2, enrollment.findToken(token.token().id()).orElseThrow().uses());
            assertEquals(enrolled + 4, machines.count(MachineFilter.ALL));
            long sharedReports = 0;
            for (int s = 0; s < 4; s++) {
                sharedReports += machines.reports(MachineId.of("shared" + s), T0, 1000).size();
            }
            assertEquals(threads * perThread, sharedReports);
        }
    }
}
