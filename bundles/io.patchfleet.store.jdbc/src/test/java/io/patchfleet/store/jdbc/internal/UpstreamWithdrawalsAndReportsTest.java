package io.patchfleet.store.jdbc.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.patchfleet.model.PatchState;
import io.patchfleet.model.TierName;
import io.patchfleet.store.api.DownstreamMachine;
import io.patchfleet.store.api.DownstreamReport;
import io.patchfleet.store.api.StoreException;
import io.patchfleet.store.api.UpstreamWithdrawal;
import io.patchfleet.store.api.UpstreamWithdrawals.Outcome;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class UpstreamWithdrawalsAndReportsTest {
    static final TierName EDGE = TierName.of("edge");
    @TempDir
    Path dir;
    TestClock clock;
    Database db;
    JdbcPatchCatalog catalog;
    JdbcUpstreamWithdrawals withdrawals;
    JdbcDownstreamReports reports;

    @BeforeEach
    void open() throws Exception {
        clock = new TestClock(Fixtures.T0);
        db = Fixtures.open(dir, clock);
        new JdbcTierStore(db).define(List.of(EDGE, TierName.of("stable")));
        catalog = new JdbcPatchCatalog(db);
        withdrawals = new JdbcUpstreamWithdrawals(db);
        reports = new JdbcDownstreamReports(db);
    }

    @AfterEach
    void close() {
        db.close();
    }

    @Test
    void byDefaultAnUpstreamWithdrawalRevokesTheReleaseHereAndShowsItBlocked() throws Exception {
        catalog.add(Fixtures.release(Fixtures.K1, 1));
        assertEquals(1, catalog.findAvailable(Fixtures.K1, EDGE).size(), "offered (and cached) before");

        assertEquals(Outcome.REVOKED, withdrawals.recordWithdrawal(Fixtures.K1, 1, "withdrawn by http://up (revoked by its admin)"));

        assertTrue(catalog.findAvailable(Fixtures.K1, EDGE).isEmpty(), "no longer offered: the check-in cache dropped");
        UpstreamWithdrawal s = withdrawals.find(Fixtures.K1, 1).orElseThrow();
        assertEquals(Optional.of(UpstreamWithdrawal.RevokedBy.UPSTREAM), s.revokedBy());
        assertEquals(Optional.of(Fixtures.T0), s.withdrawnAt());
        assertEquals("blocked", s.state());
        assertEquals(Outcome.UNCHANGED, withdrawals.recordWithdrawal(Fixtures.K1, 1, "again"), "the next sync changes nothing");
        assertEquals("withdrawn by http://up (revoked by its admin)", withdrawals.find(Fixtures.K1, 1).orElseThrow()
                .withdrawnReason().orElseThrow(), "the first withdrawal's reason and time are kept");
    }

    @Test
    void aKeptReleaseStaysOfferedAndIsShownEnabledWithAWarning() throws Exception {
        catalog.add(Fixtures.release(Fixtures.K1, 1));
        catalog.add(Fixtures.release(Fixtures.K2, 1));
        // keep before the withdrawal
        assertTrue(withdrawals.keep(Fixtures.K1, 1, "alice", "our fleet needs it"));
        assertFalse(withdrawals.keep(Fixtures.K1, 1, "alice", ""), "kept already");
        assertEquals("enabled", withdrawals.find(Fixtures.K1, 1).orElseThrow().state());
        clock.advance(Duration.ofMinutes(5));
        assertEquals(Outcome.KEPT, withdrawals.recordWithdrawal(Fixtures.K1, 1, "withdrawn upstream"));
        assertEquals(1, catalog.findAvailable(Fixtures.K1, EDGE).size(), "kept: still offered");
        UpstreamWithdrawal s = withdrawals.find(Fixtures.K1, 1).orElseThrow();
        assertTrue(s.enabledDespiteWithdrawal());
        assertEquals("enabled (!)", s.state());
        assertEquals(Optional.of("alice"), s.keptBy());

        // keep after the withdrawal revoked it: offered again
        assertEquals(Outcome.REVOKED, withdrawals.recordWithdrawal(Fixtures.K2, 1, "withdrawn upstream"));
        assertTrue(catalog.findAvailable(Fixtures.K2, EDGE).isEmpty());
        assertTrue(withdrawals.keep(Fixtures.K2, 1, "bob", ""));
        assertEquals(1, catalog.findAvailable(Fixtures.K2, EDGE).size(), "un-revoked by the keep");
        assertEquals(Outcome.UNCHANGED, withdrawals.recordWithdrawal(Fixtures.K2, 1, "again"), "a later sync leaves it kept");
        assertEquals(1, catalog.findAvailable(Fixtures.K2, EDGE).size());
        assertEquals(2, withdrawals.flagged().stream().filter(UpstreamWithdrawal::enabledDespiteWithdrawal).count());

        // unkeep: revocation travels again at once
        assertTrue(withdrawals.unkeep(Fixtures.K2, 1));
        assertFalse(withdrawals.unkeep(Fixtures.K2, 1));
        assertTrue(catalog.findAvailable(Fixtures.K2, EDGE).isEmpty());
        assertEquals("blocked", withdrawals.find(Fixtures.K2, 1).orElseThrow().state());
    }

    @Test
    void publisherAndLocalRevocationsCannotBeKept() throws Exception {
        catalog.add(Fixtures.release(Fixtures.K1, 1));
        catalog.add(Fixtures.release(Fixtures.K1, 2));
        catalog.revoke(Fixtures.K1, 1);
        StoreException local = assertThrows(StoreException.class, () -> withdrawals.keep(Fixtures.K1, 1, "alice", ""));
        assertEquals(StoreException.Reason.CONFLICT, local.reason());
        assertEquals(Optional.of(UpstreamWithdrawal.RevokedBy.LOCAL), withdrawals.find(Fixtures.K1, 1).orElseThrow().revokedBy());

        // revoked because withdrawn upstream, then the publisher revokes it too: no keep any more
        withdrawals.recordWithdrawal(Fixtures.K1, 2, "withdrawn");
        catalog.add(Fixtures.release(Fixtures.K1, 2).withRevoked(true));
        assertEquals(Optional.of(UpstreamWithdrawal.RevokedBy.PUBLISHER), withdrawals.find(Fixtures.K1, 2).orElseThrow().revokedBy());
        assertEquals(StoreException.Reason.CONFLICT,
                assertThrows(StoreException.class, () -> withdrawals.keep(Fixtures.K1, 2, "alice", "")).reason());
        assertTrue(catalog.findAvailable(Fixtures.K1, EDGE).isEmpty());
        assertEquals(StoreException.Reason.NOT_FOUND,
                assertThrows(StoreException.class, () -> withdrawals.recordWithdrawal(Fixtures.K2, 9, "x")).reason());
    }

    @Test
    void downstreamReportsReplaceTheLastAndAddBatchesOfOneReport() throws Exception {
        String hashA = "a".repeat(64);
        String hashB = "b".repeat(64);
        DownstreamReport r = new DownstreamReport("3f1c2d9e-0000-4000-8000-000000000001", "tok1", "dc-east", "machines", "1.0.0",
                Fixtures.T0, Fixtures.T0, 2, Map.of("edge", 2L), Map.of("applied", 1L, "needs-check", 1L), 0);
        reports.record(r, "report-1", 0, List.of(new DownstreamMachine(hashA, "edge", "5.15.0-91-generic", PatchState.APPLIED, 3,
                Optional.of(Fixtures.T0))));
        reports.record(r, "report-1", 1, List.of(new DownstreamMachine(hashB, "edge", "", PatchState.NEEDS_CHECK, 0, Optional.empty())));
        DownstreamReport stored = reports.find(r.deploymentId()).orElseThrow();
        assertEquals(2, stored.machines());
        assertEquals(2, stored.machineStates());
        assertEquals(Map.of("applied", 1L, "needs-check", 1L), stored.states());
        assertEquals(List.of(hashA, hashB), reports.machines(r.deploymentId(), 0, 10).stream().map(DownstreamMachine::machineHash).toList());
        assertEquals(StoreException.Reason.CONFLICT, assertThrows(StoreException.class,
                () -> reports.record(r, "report-0", 2, List.of())).reason(), "a batch of another report is refused");

        clock.advance(Duration.ofHours(1));
        DownstreamReport summary = new DownstreamReport(r.deploymentId(), "tok2", "dc-east-2", "summary", "1.0.1", Fixtures.T0,
                Fixtures.T0, 5, Map.of("edge", 5L), Map.of("applied", 5L), 0);
        reports.record(summary, "report-2", 0, List.of());
        stored = reports.list().get(0);
        assertEquals(Fixtures.T0, stored.firstReportAt());
        assertEquals(Fixtures.T0.plus(Duration.ofHours(1)), stored.lastReportAt());
        assertEquals("summary", stored.mode());
        assertEquals("dc-east-2", stored.tokenName());
        assertEquals(0, stored.machineStates(), "a summary replaces the machine states of the last report");
        assertEquals(1, reports.list().size());
        assertThrows(IllegalArgumentException.class, () -> new DownstreamReport("x", "t", "n", "summary", "", Fixtures.T0, Fixtures.T0,
                0, Map.of(), Map.of(), 0), "deployment id too short");
        assertThrows(IllegalArgumentException.class, () -> new DownstreamMachine("not-hex", "edge", "", PatchState.APPLIED, 0,
                Optional.empty()));
    }
}
