package io.patchfleet.store.jdbc.internal;

import static io.patchfleet.store.jdbc.internal.Fixtures.K1;
import static io.patchfleet.store.jdbc.internal.Fixtures.T0;
import static io.patchfleet.store.jdbc.internal.Fixtures.report;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.patchfleet.model.Machine;
import io.patchfleet.model.MachineEvent;
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
import java.util.HashSet;
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
     * A child JVM opens the database, reports check-ins from several threads (so they are
     * group-committed in shared batches), prints each acknowledged one, and is killed with
     * SIGKILL (no SHUTDOWN, no shutdown hooks); a new instance on the same files must see every
     * acknowledged write. Each machine's acknowledged check-in is a steady-state one (only the
     * machine row moves), after a full first report. A second JVM is needed: inside one JVM
     * HSQLDB keeps the database open and a "reopen" would not read the files.
     */
    @Test
    @Timeout(120)
    void acknowledgedCheckInsSurviveKillMinus9() throws Exception {
        String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process child = new ProcessBuilder(java.toString(), "-cp", classpath, WriterMain.class.getName(), dir.toString())
                .redirectErrorStream(true).start();
        Set<String> acknowledged = new HashSet<>();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = out.readLine()) != null) {
                if (line.startsWith("acknowledged ")) {
                    acknowledged.add(line.substring(13));
                    if (acknowledged.size() >= 200) {
                        break;
                    }
                }
            }
        }
        child.destroyForcibly(); // SIGKILL
        assertTrue(child.waitFor(30, TimeUnit.SECONDS));
        assertTrue(acknowledged.size() >= 200, "child acknowledged " + acknowledged.size());

        try (Database db = Fixtures.open(dir, new TestClock(T0))) {
            JdbcMachineStore machines = new JdbcMachineStore(db);
            for (String id : acknowledged) {
                var last = machines.lastReport(MachineId.of(id));
                assertTrue(last.isPresent(), "report of " + id);
                assertEquals(T0.plusSeconds(60), last.get().receivedAt(), "the steady-state check-in of " + id);
                assertEquals(1, machines.reports(MachineId.of(id), T0, 10).size(), "history of " + id);
            }
        }
    }

    /** The child of {@link #acknowledgedCheckInsSurviveKillMinus9}: writes from 4 threads until killed. */
    public static final class WriterMain {
        public static void main(String[] args) throws Exception {
            Database db = Fixtures.open(Path.of(args[0]), new TestClock(T0));
            JdbcMachineStore machines = new JdbcMachineStore(db);
            for (int t = 0; t < 4; t++) {
                int thread = t;
                new Thread(() -> {
                    try {
                        for (int i = 0;; i++) {
                            MachineId id = MachineId.of("m" + thread + "-" + i);
                            machines.enroll(new Machine(id, EDGE, Set.of(), T0));
                            machines.recordReport(report(id, K1, PatchState.APPLIED, 1, T0));
                            machines.recordReport(report(id, K1, PatchState.APPLIED, 1, T0.plusSeconds(60)));
                            synchronized (System.out) {
                                System.out.println("acknowledged " + id);
                                System.out.flush();
                            }
                        }
                    } catch (Exception e) {
                        e.printStackTrace();
                    }
                }).start();
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
                        // With an event, so each is a full report with a history row (a repeat
                        // without events would only refresh the machine row).
                        machines.recordReport(report(MachineId.of("shared" + (i % 4)), K1, PatchState.APPLIED, i, T0,
                                new MachineEvent(MachineEvent.Kind.HEALTH_PING, T0, i, "t" + thread)));
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
