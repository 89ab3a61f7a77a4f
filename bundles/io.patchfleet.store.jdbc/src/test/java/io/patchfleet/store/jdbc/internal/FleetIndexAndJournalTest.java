package io.patchfleet.store.jdbc.internal;

import static io.patchfleet.store.jdbc.internal.Fixtures.K1;
import static io.patchfleet.store.jdbc.internal.Fixtures.T0;
import static io.patchfleet.store.jdbc.internal.Fixtures.report;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.patchfleet.model.Machine;
import io.patchfleet.model.MachineId;
import io.patchfleet.model.MachineReport;
import io.patchfleet.model.PatchState;
import io.patchfleet.model.TierName;
import io.patchfleet.store.api.HealthCount;
import io.patchfleet.store.api.IssuedToken;
import io.patchfleet.store.api.MachineFilter;
import io.patchfleet.store.api.StoredReport;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The check-in hot path's memory ({@link FleetIndex}) and its last-seen journal
 * ({@link SeenJournal}) against a real HSQLDB file database: steady-state check-ins never touch
 * the database yet every reader sees them, a torn journal tail loses nothing acknowledged, the
 * fold never moves last-seen backwards, and writes during the index's load leave it exact.
 */
class FleetIndexAndJournalTest {
    static final TierName EDGE = TierName.of("edge");

    @TempDir
    Path dir;

    private static StoredReport steady(MachineId id, Instant at, Duration uptime) {
        StoredReport base = report(id, K1, PatchState.APPLIED, 1, at);
        MachineReport r = base.report();
        return new StoredReport(new MachineReport(id, r.kernel(), r.patchState(), r.patchVersion(), r.clientVersion(),
                r.bootTime(), uptime, List.of()), at);
    }

    private static Instant dbLastSeen(Database db, MachineId id) throws Exception {
        return db.inTransaction(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT last_seen FROM machines WHERE machine_id = ?")) {
                ps.setString(1, id.value());
                try (var rs = ps.executeQuery()) {
                    rs.next();
                    return Sql.instant(rs, "last_seen");
                }
            }
        });
    }

    private Path journalDir() {
        return Database.Settings.embedded(dir).journalDir();
    }

    private List<Path> segments() throws IOException {
        try (Stream<Path> s = Files.list(journalDir())) {
            return s.filter(p -> p.getFileName().toString().endsWith(".slots")).sorted().toList();
        }
    }

    @Test
    void steadyCheckInsGoToTheJournalAndEveryReaderSeesThem() throws Exception {
        try (Database db = Fixtures.open(dir, new TestClock(T0))) {
            Fixtures.awaitIndex(db);
            JdbcMachineStore machines = new JdbcMachineStore(db);
            MachineId a = MachineId.of("a");
            MachineId b = MachineId.of("b");
            machines.enroll(new Machine(a, EDGE, Set.of(), T0));
            machines.enroll(new Machine(b, EDGE, Set.of(), T0));
            machines.recordReport(report(a, K1, PatchState.APPLIED, 1, T0));
            machines.recordReport(report(b, K1, PatchState.APPLIED, 1, T0));

            StoredReport later = steady(a, T0.plusSeconds(3600), Duration.ofHours(30));
            machines.recordReport(later);

            assertEquals(T0, dbLastSeen(db, a), "the steady check-in did not write the machines table");
            assertNotNull(db.seen().get("a"), "it is in the journal");
            assertEquals(Optional.of(later), machines.lastReport(a), "lastReport merges the journal");
            assertEquals(later, machines.query(MachineFilter.ALL, 0, 10).get(0).lastReport().orElseThrow(), "query too");

            // Filters on last seen are exact although the database still says T0 for a.
            MachineFilter recent = MachineFilter.ALL.withSeenAfter(T0.plusSeconds(1800));
            MachineFilter silent = MachineFilter.ALL.withSeenBefore(T0.plusSeconds(1800));
            assertEquals(List.of("a"), ids(machines, recent));
            assertEquals(List.of("b"), ids(machines, silent));
            assertEquals(1, machines.count(recent));
            assertEquals(1, machines.count(silent));
            assertEquals(List.of(new HealthCount(EDGE, 1, PatchState.APPLIED, 1)), machines.patchHealth(recent));
            assertEquals(List.of(new HealthCount(EDGE, 1, PatchState.APPLIED, 2)), machines.patchHealth(MachineFilter.ALL),
                    "the whole fleet, counted in memory");
            assertEquals(List.of("b"), machines.query(silent, 0, 1).stream().map(s -> s.machine().id().value()).toList());
            assertEquals(List.of(), machines.query(recent, 1, 10), "offset past the only match");

            // Folding writes the newest value and empties the journal; readers see the same.
            assertTrue(db.seen().foldNow(Duration.ofSeconds(30)), "fold finished");
            assertEquals(T0.plusSeconds(3600), dbLastSeen(db, a));
            assertNull(db.seen().get("a"));
            assertEquals(Optional.of(later), machines.lastReport(a));
            assertEquals(List.of("a"), ids(machines, recent));
            // Left: only the new active segment (mapped, so sized but sparse), holding no record.
            assertEquals(1, segments().size(), "folded segments deleted: " + segments());
            assertTrue(SeenJournal.read(segments().get(0)).isEmpty(), "the active segment holds nothing yet");
        }
    }

    @Test
    void theFoldNeverMovesLastSeenBackwards() throws Exception {
        try (Database db = Fixtures.open(dir, new TestClock(T0))) {
            Fixtures.awaitIndex(db);
            JdbcMachineStore machines = new JdbcMachineStore(db);
            MachineId a = MachineId.of("a");
            machines.enroll(new Machine(a, EDGE, Set.of(), T0));
            machines.recordReport(report(a, K1, PatchState.APPLIED, 1, T0));
            machines.recordReport(steady(a, T0.plusSeconds(60), Duration.ofHours(25)));
            // A later full report (state changed) writes the row directly, newer than the journal.
            StoredReport failed = report(a, K1, PatchState.APPLY_FAILED, 1, T0.plusSeconds(120));
            machines.recordReport(failed);
            assertTrue(db.seen().foldNow(Duration.ofSeconds(30)));
            assertEquals(T0.plusSeconds(120), dbLastSeen(db, a), "the older journaled value did not overwrite it");
            assertEquals(Optional.of(failed), machines.lastReport(a));
        }
    }

    @Test
    void aTornJournalTailLosesOnlyWhatWasNeverAcknowledged() throws Exception {
        MachineId a = MachineId.of("a");
        try (Database db = Fixtures.open(dir, new TestClock(T0))) {
            Fixtures.awaitIndex(db);
            JdbcMachineStore machines = new JdbcMachineStore(db);
            machines.enroll(new Machine(a, EDGE, Set.of(), T0));
            machines.recordReport(report(a, K1, PatchState.APPLIED, 1, T0));
            machines.recordReport(steady(a, T0.plusSeconds(60), Duration.ofHours(25)));
        }
        // The closed database left its journal (no fold at close). Add what a crash leaves: a
        // torn record (its checksum fails), a slot reserved but never written (zeros), and then a
        // record another thread completed: the torn ones must hide nothing after them.
        Path segment = segments().stream().filter(p -> p.toFile().length() > 0).findFirst().orElseThrow();
        byte[] good = Files.readAllBytes(segment);
        assertEquals(0, good.length % SeenJournal.SLOT, "whole slots");
        byte[] torn = SeenJournal.record(1, "a".getBytes(StandardCharsets.UTF_8),
                new SeenJournal.Seen(SeenJournal.Seen.micros(T0.plusSeconds(999)), 1));
        torn[10] ^= 1;
        byte[] later = SeenJournal.record(1, "b".getBytes(StandardCharsets.UTF_8),
                new SeenJournal.Seen(SeenJournal.Seen.micros(T0.plusSeconds(90)), 2));
        Files.write(segment, torn, StandardOpenOption.APPEND);
        Files.write(segment, new byte[SeenJournal.SLOT], StandardOpenOption.APPEND);
        Files.write(segment, later, StandardOpenOption.APPEND);
        Map<String, SeenJournal.Seen> replayed = SeenJournal.read(segment);
        assertEquals(T0.plusSeconds(60), replayed.get("a").at(), "the answered check-in survives; the torn one is dropped");
        assertEquals(T0.plusSeconds(90), replayed.get("b").at(), "a record after a torn one and a hole is still read");

        byte[] corrupt = good.clone();
        corrupt[corrupt.length - 1] ^= 1; // a flipped bit in the last record: checksum fails
        Files.write(segment, corrupt);
        assertTrue(SeenJournal.read(segment).isEmpty(), "a record failing its checksum is not replayed");

        Files.write(segment, good);
        try (Database db = Fixtures.open(dir, new TestClock(T0))) {
            JdbcMachineStore machines = new JdbcMachineStore(db);
            assertEquals(T0.plusSeconds(60), machines.lastReport(a).orElseThrow().receivedAt(), "replayed at start");
            assertTrue(db.seen().foldNow(Duration.ofSeconds(30)));
            assertEquals(T0.plusSeconds(60), dbLastSeen(db, a), "and folded");
        }
    }

    @Test
    void aSegmentIsFoldedWhenItsSizeLimitIsReached() throws Exception {
        var settings = new Database.Settings(Database.Settings.embedded(dir).url(), "SA", "", 4, Duration.ofSeconds(5),
                Duration.ofHours(1), 1024);
        try (Database db = new Database(settings, new TestClock(T0))) {
            Fixtures.awaitIndex(db);
            JdbcMachineStore machines = new JdbcMachineStore(db);
            List<MachineId> ids = new ArrayList<>();
            for (int i = 0; i < 60; i++) {
                MachineId id = MachineId.of("m" + i);
                ids.add(id);
                machines.enroll(new Machine(id, EDGE, Set.of(), T0));
                machines.recordReport(report(id, K1, PatchState.APPLIED, 1, T0));
            }
            for (MachineId id : ids) {
                machines.recordReport(steady(id, T0.plusSeconds(60), Duration.ofHours(25)));
            }
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (db.seen().foldedRows() == 0) {
                assertTrue(System.nanoTime() < deadline, "no fold after 1 KB of journal");
                Thread.sleep(10);
            }
            for (MachineId id : ids) {
                assertEquals(T0.plusSeconds(60), machines.lastReport(id).orElseThrow().receivedAt(), id.value());
            }
        }
    }

    @Test
    @Timeout(180)
    void writesDuringTheIndexLoadLeaveItExact() throws Exception {
        int fleet = 25_000;
        List<String> credentials = new ArrayList<>();
        IssuedToken token;
        try (Database db = Fixtures.open(dir, new TestClock(T0))) {
            Fixtures.awaitIndex(db);
            JdbcEnrollmentStore enrollment = new JdbcEnrollmentStore(db);
            token = enrollment.createToken(EDGE, T0.plusSeconds(86_400), 1000, "", "test");
            db.inTransaction(c -> {
                try (PreparedStatement ps = c.prepareStatement("INSERT INTO machines (machine_id, tier_name, tags, "
                        + "enrolled_at, credential_hash) VALUES (?, 'edge', '', ?, ?)")) {
                    for (int i = 0; i < fleet; i++) {
                        String credential = "credential-" + i;
                        credentials.add(credential);
                        Sql.bind(ps, String.format("m%06d", i), T0, Secrets.hash(credential)).addBatch();
                        if (i % 5000 == 4999) {
                            ps.executeBatch();
                        }
                    }
                }
                return null;
            });
        }
        try (Database db = Fixtures.open(dir, new TestClock(T0))) {
            JdbcEnrollmentStore enrollment = new JdbcEnrollmentStore(db);
            JdbcMachineStore machines = new JdbcMachineStore(db);
            // While the loader pages through the table: rotate credentials and remove machines
            // spread over every page, and enroll new ones.
            Map<Integer, String> rotated = new HashMap<>();
            List<Integer> removed = new ArrayList<>();
            for (int i = 0; i < fleet; i += 997) {
                MachineId id = MachineId.of(String.format("m%06d", i));
                if (i % 2 == 0) {
                    rotated.put(i, enrollment.enroll(token.secret(), id, Set.of()).credential());
                } else {
                    assertTrue(machines.remove(id));
                    removed.add(i);
                }
            }
            String fresh = enrollment.enroll(token.secret(), MachineId.of("z-new"), Set.of()).credential();
            Fixtures.awaitIndex(db);

            assertEquals(fleet - removed.size() + 1, db.fleet().size(), "every machine in memory, no removed one");
            // A rotated machine's previous credential works until its new one is first used.
            int someRotated = rotated.keySet().iterator().next();
            assertEquals(Optional.of(MachineId.of(String.format("m%06d", someRotated))),
                    enrollment.authenticate(credentials.get(someRotated)), "previous credential still valid");
            for (Map.Entry<Integer, String> e : rotated.entrySet()) {
                assertEquals(Optional.of(MachineId.of(String.format("m%06d", e.getKey()))), enrollment.authenticate(e.getValue()));
            }
            for (int i = 0; i < fleet; i += 1) {
                Optional<MachineId> who = enrollment.authenticate(credentials.get(i));
                if (rotated.containsKey(i) || removed.contains(i)) {
                    assertFalse(who.isPresent(), "old credential of m" + i + " refused (removed, or its new one was used)");
                } else {
                    assertEquals(Optional.of(MachineId.of(String.format("m%06d", i))), who);
                }
            }
            for (Map.Entry<Integer, String> e : rotated.entrySet()) {
                assertEquals(Optional.of(MachineId.of(String.format("m%06d", e.getKey()))), enrollment.authenticate(e.getValue()));
            }
            assertEquals(Optional.of(MachineId.of("z-new")), enrollment.authenticate(fresh));
            assertEquals(Optional.empty(), enrollment.authenticate("never-issued"), "unknown credential");
            for (int i : removed) {
                assertEquals(Optional.empty(), machines.find(MachineId.of(String.format("m%06d", i))));
            }
        }
    }

    private static List<String> ids(JdbcMachineStore machines, MachineFilter f) throws Exception {
        return machines.query(f, 0, 100).stream().map(s -> s.machine().id().value()).toList();
    }
}
