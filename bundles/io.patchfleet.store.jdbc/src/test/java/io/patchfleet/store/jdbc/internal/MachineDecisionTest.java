package io.patchfleet.store.jdbc.internal;

import static io.patchfleet.store.jdbc.internal.Fixtures.T0;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.patchfleet.model.Machine;
import io.patchfleet.model.MachineId;
import io.patchfleet.model.TierName;
import io.patchfleet.store.api.MachineFilter;
import io.patchfleet.store.api.RolloutDecision;
import io.patchfleet.store.api.StoreException;

/**
 * The last rollout decision per machine against a real HSQLDB file: written only when it
 * changes (the steady state costs no database write), kept across a restart, and filterable
 * ("held, reason contains window"; "offered patch 3", what a rollout's exposure counts).
 */
class MachineDecisionTest {
    static final TierName STABLE = TierName.of("stable");

    @TempDir
    Path dir;

    static RolloutDecision hold(String reason, Duration until) {
        return new RolloutDecision("hold", reason, Optional.of(T0.plus(until)), T0);
    }

    private static long updates(Database db, MachineId id) throws Exception {
        // decision_at moves only with a write: the number of distinct values seen tells the writes
        return db.inTransaction(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT decision_at FROM machines WHERE machine_id = ?")) {
                ps.setString(1, id.value());
                try (var rs = ps.executeQuery()) {
                    rs.next();
                    var t = Sql.instant(rs, "decision_at");
                    return t == null ? -1L : t.getEpochSecond() - T0.getEpochSecond();
                }
            }
        });
    }

    @Test
    void aDecisionIsWrittenOnlyWhenItChangesAndSurvivesARestart() throws Exception {
        MachineId a = MachineId.of("a");
        MachineId b = MachineId.of("b");
        RolloutDecision window = hold("maintenance window nightly opens 2026-03-02 02:00 UTC", Duration.ofHours(16));
        try (Database db = Fixtures.open(dir, new TestClock(T0))) {
            Fixtures.awaitIndex(db);
            JdbcMachineStore machines = new JdbcMachineStore(db);
            machines.enroll(new Machine(a, STABLE, Set.of(), T0));
            machines.enroll(new Machine(b, STABLE, Set.of(), T0));
            assertEquals(Optional.empty(), machines.lastDecision(a));

            assertTrue(machines.recordDecision(a, window), "the first decision is written");
            assertEquals(Optional.of(window), machines.lastDecision(a), "the index has it at once");
            db.decisions().flush(); // written in the background; flushed here to read the row
            assertEquals(0, updates(db, a));
            for (int i = 1; i <= 5; i++) { // steady check-ins: same answer, later times
                RolloutDecision same = new RolloutDecision("hold", window.reason(), window.notBefore(), T0.plusSeconds(i * 60));
                assertFalse(machines.recordDecision(a, same), "an unchanged decision is not written");
            }
            db.decisions().flush();
            assertEquals(0, updates(db, a), "the row still holds the first decision's time: no write happened");
            assertTrue(machines.recordDecision(b, RolloutDecision.offer(3, T0.plusSeconds(30))));
            assertEquals(List.of("b"), ids(machines, MachineFilter.ALL.withOffered(3)), "offered patch 3: the real exposure");
            assertEquals(1, machines.count(MachineFilter.ALL.withTier(STABLE).withOffered(3)));
            assertEquals(0, machines.count(MachineFilter.ALL.withOffered(2)));

            assertEquals(List.of("a"), ids(machines, MachineFilter.ALL.withHeld("")));
            assertEquals(List.of("a"), ids(machines, MachineFilter.ALL.withHeld("WINDOW")), "reason contains, ignoring case");
            assertEquals(List.of(), ids(machines, MachineFilter.ALL.withHeld("wave")));
            assertEquals(List.of(), ids(machines, MachineFilter.ALL.withHeld("%")), "LIKE wildcards are literal");
            assertEquals(1, machines.count(MachineFilter.ALL.withHeld("")));

            RolloutDecision moved = hold(window.reason(), Duration.ofHours(40)); // the window moved: a change
            assertTrue(machines.recordDecision(a, new RolloutDecision("hold", moved.reason(), moved.notBefore(), T0.plusSeconds(600))));
            db.decisions().flush();
            assertEquals(600, updates(db, a));
            assertThrows(StoreException.class, () -> machines.recordDecision(MachineId.of("nobody"), window));
            // Pending when the database closes: written by the close, not lost.
            assertTrue(machines.recordDecision(b, hold("wave 2 of patch 3 opens later", Duration.ofHours(2))));
        }
        try (Database db = Fixtures.open(dir, new TestClock(T0))) { // a restart: from the database, then the index
            JdbcMachineStore machines = new JdbcMachineStore(db);
            RolloutDecision a1 = machines.lastDecision(a).orElseThrow();
            assertEquals("hold", a1.outcome());
            assertEquals(window.reason(), a1.reason());
            assertEquals(Optional.of(T0.plus(Duration.ofHours(40))), a1.notBefore());
            Fixtures.awaitIndex(db);
            assertEquals(Optional.of(a1), machines.lastDecision(a), "the index loaded the decision");
            assertFalse(machines.recordDecision(a, a1), "the loaded decision is compared, so no write after a restart");
            assertEquals("wave 2 of patch 3 opens later", machines.lastDecision(b).orElseThrow().reason(),
                    "the decision pending at close was written");
        }
    }

    private static List<String> ids(JdbcMachineStore machines, MachineFilter f) throws StoreException {
        return machines.query(f, 0, 100).stream().map(s -> s.machine().id().value()).toList();
    }
}
