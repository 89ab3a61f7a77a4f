package io.patchfleet.store.jdbc.internal;

import static io.patchfleet.store.jdbc.internal.Fixtures.K1;
import static io.patchfleet.store.jdbc.internal.Fixtures.K2;
import static io.patchfleet.store.jdbc.internal.Fixtures.T0;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.patchfleet.model.TierName;
import io.patchfleet.store.api.RolloutRecord;

/** Rollout state on the real embedded database: created once, changed, and still there after a restart. */
class JdbcRolloutStoreTest {
    @TempDir
    Path dir;

    @Test
    void rolloutStateSurvivesARestartAndTheFirstCreatorWins() throws Exception {
        TestClock clock = new TestClock(T0);
        TierName edge = TierName.of("edge");
        RolloutRecord first = RolloutRecord.fresh(K1, 3, edge, T0);
        RolloutRecord halted;
        try (Database db = Fixtures.open(dir, clock)) {
            JdbcRolloutStore store = new JdbcRolloutStore(db);
            assertEquals(first, store.createIfAbsent(first));
            RolloutRecord late = RolloutRecord.fresh(K1, 3, edge, T0.plus(Duration.ofHours(1)));
            assertEquals(first, store.createIfAbsent(late), "another node's later first sight does not move the wave clock");
            halted = first.withStartedAt(T0.plusSeconds(5)).withApprovedAt(T0.plusSeconds(9)).withAdvancedSteps(2, T0.plusSeconds(10))
                    .withState("halted", "health gate: 3 of 20 machines crashed", true, T0.plusSeconds(11));
            store.save(halted);
            store.save(RolloutRecord.fresh(K2, 1, TierName.of("beta"), T0)); // save inserts when absent
        }
        try (Database db = Fixtures.open(dir, clock)) {
            JdbcRolloutStore store = new JdbcRolloutStore(db);
            List<RolloutRecord> all = store.all();
            assertEquals(2, all.size());
            assertEquals(Set.of(halted, RolloutRecord.fresh(K2, 1, TierName.of("beta"), T0)), Set.copyOf(all));
            assertEquals(Optional.of(T0.plusSeconds(9)), all.stream().filter(r -> r.version() == 3).findFirst().orElseThrow().approvedAt());
        }
        assertThrows(IllegalArgumentException.class, () -> RolloutRecord.fresh(K1, 3, edge, T0).withState("done", "", false, T0));
    }
}
