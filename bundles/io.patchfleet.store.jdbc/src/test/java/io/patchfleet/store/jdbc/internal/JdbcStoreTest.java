package io.patchfleet.store.jdbc.internal;

import static io.patchfleet.store.jdbc.internal.Fixtures.K1;
import static io.patchfleet.store.jdbc.internal.Fixtures.K2;
import static io.patchfleet.store.jdbc.internal.Fixtures.T0;
import static io.patchfleet.store.jdbc.internal.Fixtures.release;
import static io.patchfleet.store.jdbc.internal.Fixtures.report;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.patchfleet.model.Machine;
import io.patchfleet.model.MachineEvent;
import io.patchfleet.model.KernelId;
import io.patchfleet.model.MachineId;
import io.patchfleet.model.MachineReport;
import io.patchfleet.model.PatchRelease;
import io.patchfleet.model.PatchState;
import io.patchfleet.model.Tier;
import io.patchfleet.model.TierName;
import io.patchfleet.store.api.AuditEntry;
import io.patchfleet.store.api.Enrollment;
import io.patchfleet.store.api.EnrollmentToken;
import io.patchfleet.store.api.HealthCount;
import io.patchfleet.store.api.IssuedToken;
import io.patchfleet.store.api.MachineFilter;
import io.patchfleet.store.api.MachineStatus;
import io.patchfleet.store.api.StoreException;
import io.patchfleet.store.api.StoreException.Reason;
import io.patchfleet.store.api.StoredReport;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every store operation against a real HSQLDB file database. */
class JdbcStoreTest {
    static final TierName EDGE = TierName.of("edge");
    static final TierName BETA = TierName.of("beta");
    static final TierName CANDIDATE = TierName.of("candidate");
    static final TierName STABLE = TierName.of("stable");

    @TempDir
    Path dir;
    TestClock clock = new TestClock(T0);
    Database db;
    JdbcTierStore tiers;
    JdbcPatchCatalog catalog;
    JdbcMachineStore machines;
    JdbcEnrollmentStore enrollment;
    JdbcAuditLog audit;

    @BeforeEach
    void open() throws Exception {
        db = Fixtures.open(dir, clock);
        tiers = new JdbcTierStore(db);
        catalog = new JdbcPatchCatalog(db);
        machines = new JdbcMachineStore(db);
        enrollment = new JdbcEnrollmentStore(db);
        audit = new JdbcAuditLog(db);
    }

    @AfterEach
    void close() {
        db.close();
    }

    private void reopen() throws Exception {
        db.close();
        open();
    }

    private static List<TierName> names(List<Tier> list) {
        return list.stream().map(Tier::name).toList();
    }

    // ---- schema -------------------------------------------------------------------------

    @Test
    void addAllCommitsOnlyAfterBeforeCommitReturned() throws Exception {
        List<PatchRelease> seenMeanwhile = new ArrayList<>();
        List<PatchRelease> added = catalog.addAll(List.of(release(K1, 1), release(K1, 2)),
                () -> seenMeanwhile.addAll(catalog.findByKernel(K1)));
        assertEquals(List.of(release(K1, 1), release(K1, 2)), added);
        assertEquals(List.of(), seenMeanwhile, "nothing is offered before the caller's work (the blob commit) is done");
        assertEquals(2, catalog.findByKernel(K1).size());
    }

    @Test
    void aFailingBeforeCommitAddsNothing() throws Exception {
        StoreException e = assertThrows(StoreException.class, () -> catalog.addAll(List.of(release(K1, 1), release(K2, 1)),
                () -> {
                    throw new StoreException(StoreException.Reason.UNAVAILABLE, "the modules could not be made durable");
                }));
        assertEquals("the modules could not be made durable", e.getMessage());
        assertEquals(List.of(), catalog.findByKernel(K1));
        assertEquals(List.of(), catalog.findByKernel(K2));
        assertTrue(catalog.add(release(K1, 1)), "rolled back: added later as new");
        int[] runs = new int[1];
        assertEquals(List.of(), catalog.addAll(List.of(), () -> runs[0]++));
        assertEquals(1, runs[0], "an empty list still waits for the caller's work");
    }

    @Test
    void aReleaseWithoutABuildServesEveryBuildOfItsKernelAndABuiltOneOnlyItsOwn() throws Exception {
        // The publisher reads vermagic, which names no build: such a release must reach machines,
        // which always report their uname -v.
        assertTrue(catalog.add(release(K2, 1)));
        KernelId running = KernelId.of(K2.release(), K2.architecture(), "#1 SMP PREEMPT_DYNAMIC Debian 6.1.55-1");
        assertEquals(List.of(release(K2, 1)), catalog.findByKernel(running));
        assertEquals(List.of(release(K2, 1)), catalog.findAvailable(running, EDGE));

        assertTrue(catalog.add(release(K1, 1)));
        KernelId otherBuild = KernelId.of(K1.release(), K1.architecture(), "#102-Ubuntu SMP another build");
        assertEquals(List.of(), catalog.findByKernel(otherBuild), "a release for one build is not offered to another");
        assertEquals(List.of(release(K1, 1)), catalog.findByKernel(K1));
        KernelId unknownBuild = KernelId.of(K1.release(), K1.architecture(), "");
        assertEquals(List.of(release(K1, 1)), catalog.findAvailable(unknownBuild, EDGE));
    }

    @Test
    void migrationsApplyOnceAndReopeningIsIdempotent() throws Exception {
        int latest = Migrations.SCRIPTS.size();
        assertEquals(Integer.valueOf(latest), db.inTransaction(Migrations::current));
        reopen();
        reopen();
        assertEquals(Integer.valueOf(latest), db.inTransaction(Migrations::current));
        assertEquals((long) latest, db.<Long>inTransaction(c -> Sql.queryLong(c, "SELECT COUNT(*) FROM schema_version")));
        assertEquals(List.of(EDGE, BETA, CANDIDATE, STABLE), names(tiers.tiers()));
    }

    @Test
    void aDatabaseNewerThanTheCodeIsRefused() throws Exception {
        db.inTransaction(c -> Sql.update(c, "INSERT INTO schema_version (version, script, applied_at) VALUES (?, ?, ?)",
                99, "V99__future.sql", T0));
        db.close();

        StoreException e = assertThrows(StoreException.class, () -> Fixtures.open(dir, clock));

        assertEquals(Reason.CONFLICT, e.reason());
        assertTrue(e.getMessage().contains("99"), e.getMessage());
        assertTrue(e.getMessage().contains("newer"), e.getMessage());
        db = Fixtures.open(dir.resolve("other"), clock); // for @AfterEach
    }

    @Test
    void scriptsSplitIntoStatements() {
        assertEquals(List.of("CREATE TABLE a ( x INTEGER)", "INSERT INTO a VALUES (1)"),
                Migrations.statements("-- comment\nCREATE TABLE a (\nx INTEGER);\n\nINSERT INTO a VALUES (1);\n"));
    }

    @Test
    void dataSurvivesCloseAndReopen() throws Exception {
        catalog.add(release(K1, 1));
        IssuedToken token = tokenFor(EDGE, 5);
        Enrollment e = enrollment.enroll(token.secret(), MachineId.of("m1"), Set.of("dc=fra1"));
        machines.recordReport(report(MachineId.of("m1"), K1, PatchState.APPLIED, 1, T0));
        audit.append("alice", "tier.create", "qa", "", "{}");

        reopen();

        assertEquals(Optional.of(release(K1, 1)), catalog.find(K1, 1));
        assertEquals(Optional.of(MachineId.of("m1")), enrollment.authenticate(e.credential()));
        assertEquals(PatchState.APPLIED, machines.lastReport(MachineId.of("m1")).orElseThrow().report().patchState());
        assertEquals(1, audit.entries(0, 10).size());
        assertEquals(1, enrollment.findToken(token.token().id()).orElseThrow().uses());
    }

    // ---- tiers ---------------------------------------------------------------------------

    @Test
    void tiersCreateInsertReorderAndDelete() throws Exception {
        TierName qa = TierName.of("qa");
        assertEquals(List.of(EDGE, qa, BETA, CANDIDATE, STABLE), names(tiers.create(qa, 1)));
        assertEquals(Optional.of(new Tier(qa, 1)), tiers.find(qa));
        assertEquals(StoreException.Reason.CONFLICT, assertThrows(StoreException.class, () -> tiers.create(qa, 0)).reason());
        assertThrows(IllegalArgumentException.class, () -> tiers.create(TierName.of("x"), 9));

        List<Tier> reordered = tiers.define(List.of(STABLE, CANDIDATE, BETA, qa, EDGE));
        assertEquals(List.of(new Tier(STABLE, 0), new Tier(CANDIDATE, 1), new Tier(BETA, 2), new Tier(qa, 3),
                new Tier(EDGE, 4)), reordered);

        assertEquals(List.of(STABLE, CANDIDATE, BETA, EDGE), names(tiers.delete(qa)));
        assertEquals(Optional.empty(), tiers.find(qa));
        assertEquals(Reason.NOT_FOUND, assertThrows(StoreException.class, () -> tiers.delete(qa)).reason());
        assertThrows(IllegalArgumentException.class, () -> tiers.define(List.of(EDGE, EDGE)));
        assertThrows(IllegalArgumentException.class, () -> tiers.define(List.of()));
    }

    @Test
    void aTierInUseCannotBeDeletedNorTheLastOne() throws Exception {
        tokenFor(BETA, 1);
        machines.enroll(new Machine(MachineId.of("m1"), CANDIDATE, Set.of(), T0));

        assertEquals(Reason.CONFLICT, assertThrows(StoreException.class, () -> tiers.delete(BETA)).reason());
        assertEquals(Reason.CONFLICT, assertThrows(StoreException.class, () -> tiers.delete(CANDIDATE)).reason());
        assertEquals(Reason.CONFLICT,
                assertThrows(StoreException.class, () -> tiers.define(List.of(EDGE, BETA, STABLE))).reason());
        assertEquals(4, tiers.tiers().size(), "a refused change writes nothing");

        tiers.delete(EDGE);
        assertEquals(List.of(BETA, CANDIDATE), names(tiers.define(List.of(BETA, CANDIDATE))));
        machines.remove(MachineId.of("m1"));
        tiers.delete(CANDIDATE);
        assertEquals(Reason.CONFLICT, assertThrows(StoreException.class, () -> tiers.delete(BETA)).reason());
    }

    @Test
    void releasesOfADeletedTierFallBackToTheTierBefore() throws Exception {
        catalog.add(release(K1, 1));
        catalog.add(release(K1, 2));
        catalog.promote(K1, 1, CANDIDATE);

        tiers.delete(CANDIDATE);
        assertEquals(Optional.of(BETA), catalog.promotedTo(K1, 1));
        assertEquals(List.of(release(K1, 1)), catalog.findAvailable(K1, BETA));
        assertEquals(List.of(), catalog.findAvailable(K1, STABLE));

        tiers.delete(EDGE); // release 2 sat in edge: it goes to the new first tier
        assertEquals(Optional.of(BETA), catalog.promotedTo(K1, 2));
    }

    // ---- catalog -------------------------------------------------------------------------

    @Test
    void catalogRoundTripsAndReplaysIdempotently() throws Exception {
        PatchRelease r1 = release(K1, 1);
        assertTrue(catalog.add(r1));
        assertFalse(catalog.add(r1));
        assertTrue(catalog.add(release(K1, 2)));
        assertTrue(catalog.add(release(K2, 1)));

        assertEquals(Optional.of(r1), catalog.find(K1, 1));
        assertEquals(Optional.empty(), catalog.find(K1, 9));
        assertEquals(List.of(r1, release(K1, 2)), catalog.findByKernel(K1));
        assertEquals(Optional.of(EDGE), catalog.promotedTo(K1, 1));

        PatchRelease changed = new PatchRelease(K1, 1, "other", r1.targetName(), r1.sha256(), r1.length(), r1.cves(),
                r1.description(), r1.publishedAt(), 0, false);
        assertEquals(Reason.CONFLICT, assertThrows(StoreException.class, () -> catalog.add(changed)).reason());
    }

    @Test
    void promotionMakesAReleaseAvailableUpToThatTier() throws Exception {
        catalog.add(release(K1, 1));
        catalog.add(release(K1, 2));
        assertEquals(List.of(release(K1, 1), release(K1, 2)), catalog.findAvailable(K1, EDGE));
        assertEquals(List.of(), catalog.findAvailable(K1, BETA));

        assertTrue(catalog.promote(K1, 1, CANDIDATE));
        assertFalse(catalog.promote(K1, 1, BETA), "never moves back");
        assertEquals(List.of(release(K1, 1)), catalog.findAvailable(K1, CANDIDATE));
        assertEquals(List.of(release(K1, 1)), catalog.findAvailableTo(BETA));
        assertEquals(List.of(), catalog.findAvailable(K1, STABLE));

        assertEquals(2, catalog.promoteAll(EDGE, STABLE) + catalog.promoteAll(EDGE, STABLE));
        assertEquals(List.of(release(K1, 1), release(K1, 2)), catalog.findAvailable(K1, STABLE));

        assertEquals(Reason.NOT_FOUND, assertThrows(StoreException.class,
                () -> catalog.promote(K1, 1, TierName.of("nope"))).reason());
        assertEquals(Reason.NOT_FOUND, assertThrows(StoreException.class, () -> catalog.promote(K1, 7, BETA)).reason());
        assertEquals(Reason.NOT_FOUND, assertThrows(StoreException.class,
                () -> catalog.findAvailable(K1, TierName.of("nope"))).reason());
    }

    @Test
    void revokedReleasesAreNeverOffered() throws Exception {
        catalog.add(release(K1, 1));
        catalog.add(release(K1, 2));
        assertTrue(catalog.revoke(K1, 2));
        assertFalse(catalog.revoke(K1, 2));
        assertEquals(Reason.NOT_FOUND, assertThrows(StoreException.class, () -> catalog.revoke(K1, 5)).reason());

        assertEquals(List.of(release(K1, 1)), catalog.findAvailable(K1, EDGE));
        assertTrue(catalog.find(K1, 2).orElseThrow().revoked());
        assertEquals(Reason.CONFLICT, assertThrows(StoreException.class, () -> catalog.promote(K1, 2, BETA)).reason());
        assertFalse(catalog.add(release(K1, 2)), "replaying the unrevoked release does not un-revoke it");
        assertTrue(catalog.find(K1, 2).orElseThrow().revoked());
        assertFalse(catalog.add(release(K1, 1).withRevoked(true)));
        assertTrue(catalog.find(K1, 1).orElseThrow().revoked(), "replaying a revoked release revokes");
    }

    @Test
    void reorderingTiersChangesWhoSeesARelease() throws Exception {
        catalog.add(release(K1, 1));
        catalog.promote(K1, 1, BETA);
        tiers.define(List.of(EDGE, CANDIDATE, BETA, STABLE));
        assertEquals(List.of(release(K1, 1)), catalog.findAvailable(K1, CANDIDATE));
    }

    // ---- machines and reports ------------------------------------------------------------

    @Test
    void machinesRoundTripAndReportsKeepHistory() throws Exception {
        MachineId id = MachineId.of("0123456789abcdef0123456789abcdef");
        Machine m = new Machine(id, BETA, Set.of("dc=fra1", "role:db"), T0);
        assertEquals(m, machines.enroll(m));
        Machine moved = machines.enroll(new Machine(id, STABLE, Set.of(), T0.plusSeconds(99)));
        assertEquals(new Machine(id, STABLE, Set.of(), T0), moved, "first enrollment time is kept");
        assertEquals(Optional.of(moved), machines.find(id));
        assertEquals(List.of(moved), machines.findByTier(STABLE, 0, 10));
        assertEquals(Reason.NOT_FOUND, assertThrows(StoreException.class,
                () -> machines.enroll(new Machine(id, TierName.of("nope"), Set.of(), T0))).reason());

        MachineEvent before = new MachineEvent(MachineEvent.Kind.BEFORE_INSERT, T0.minusSeconds(5), 3, "");
        MachineEvent after = new MachineEvent(MachineEvent.Kind.AFTER_TRANSITION, T0.minusSeconds(4), 3, "took 1.2 s");
        StoredReport first = report(id, K1, PatchState.UNAPPLIED, 0, T0);
        StoredReport second = report(id, K1, PatchState.APPLIED, 3, T0.plusSeconds(60), before, after);
        machines.recordReport(first);
        machines.recordReport(second);

        assertEquals(Optional.of(second), machines.lastReport(id));
        assertEquals(List.of(first, second), machines.reports(id, T0, 10));
        assertEquals(List.of(second), machines.reports(id, T0.plusSeconds(1), 10));
        assertEquals(List.of(first), machines.reports(id, T0, 1));

        MachineId unknown = MachineId.of("unknown");
        assertEquals(Reason.NOT_FOUND, assertThrows(StoreException.class,
                () -> machines.recordReport(report(unknown, K1, PatchState.APPLIED, 1, T0))).reason());
        assertEquals(Optional.empty(), machines.lastReport(unknown));

        assertTrue(machines.remove(id));
        assertFalse(machines.remove(id));
        assertEquals(Optional.empty(), machines.find(id));
        assertEquals(List.of(), machines.reports(id, T0, 10));
    }

    @Test
    void steadyStateCheckInsMoveTheMachineRowButAddNoHistory() throws Exception {
        MachineId id = MachineId.of("steady");
        machines.enroll(new Machine(id, EDGE, Set.of(), T0));
        StoredReport first = report(id, K1, PatchState.APPLIED, 2, T0);
        machines.recordReport(first);
        StoredReport later = new StoredReport(new MachineReport(id, K1, PatchState.APPLIED, 2, "1.0.0",
                first.report().bootTime(), Duration.ofHours(25), List.of()), T0.plusSeconds(3600));
        machines.recordReport(later);

        assertEquals(Optional.of(later), machines.lastReport(id), "seen later, with the new uptime");
        assertEquals(List.of(first), machines.reports(id, T0, 10), "nothing changed: no history row");
        assertEquals(1, machines.count(MachineFilter.ALL.withSeenAfter(T0.plusSeconds(3600))));

        MachineEvent ping = new MachineEvent(MachineEvent.Kind.HEALTH_PING, T0, 2, "");
        StoredReport withEvent = report(id, K1, PatchState.APPLIED, 2, T0.plusSeconds(7200), ping);
        StoredReport changed = report(id, K1, PatchState.APPLY_FAILED, 2, T0.plusSeconds(9000));
        machines.recordReport(withEvent);
        machines.recordReport(changed);
        assertEquals(List.of(first, withEvent, changed), machines.reports(id, T0, 10), "events and changes keep history");
        assertEquals(Optional.of(changed), machines.lastReport(id));
    }

    @Test
    void concurrentCheckInsShareCommitsAndAnUnknownMachineFailsAlone() throws Exception {
        int threads = 16;
        for (int t = 0; t < threads; t++) {
            machines.enroll(new Machine(MachineId.of("c" + t), EDGE, Set.of(), T0));
        }
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int thread = t;
                done.add(pool.submit(() -> {
                    for (int i = 0; i < 20; i++) {
                        machines.recordReport(report(MachineId.of("c" + thread), K1, PatchState.APPLIED, i, T0.plusSeconds(i)));
                        StoreException e = assertThrows(StoreException.class,
                                () -> machines.recordReport(report(MachineId.of("gone" + thread), K1, PatchState.APPLIED, 1, T0)));
                        assertEquals(Reason.NOT_FOUND, e.reason());
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        for (int t = 0; t < threads; t++) {
            assertEquals(20, machines.reports(MachineId.of("c" + t), T0, 100).size(), "every report of c" + t);
            assertEquals(19, machines.lastReport(MachineId.of("c" + t)).orElseThrow().report().patchVersion());
        }
    }

    @Test
    void cachedCredentialsAndMachinesFollowReEnrollmentMovesAndRemoval() throws Exception {
        IssuedToken token = enrollment.createToken(EDGE, T0.plusSeconds(3600), 10, "", "test");
        MachineId id = MachineId.of("cached");
        String first = enrollment.enroll(token.secret(), id, Set.of()).credential();
        assertEquals(Optional.of(id), enrollment.authenticate(first));
        assertEquals(EDGE, machines.find(id).orElseThrow().tier(), "cached by the authentication");

        String second = enrollment.enroll(token.secret(), id, Set.of()).credential();
        assertEquals(Optional.of(id), enrollment.authenticate(first), "the cached old credential works until the new one is used");
        assertEquals(Optional.of(id), enrollment.authenticate(second));
        assertEquals(Optional.empty(), enrollment.authenticate(first), "the first use of the new one drops the cached old one");

        machines.enroll(new Machine(id, BETA, Set.of("moved"), T0));
        assertEquals(new Machine(id, BETA, Set.of("moved"), T0), machines.find(id).orElseThrow(), "a move is seen at once");

        assertTrue(machines.remove(id));
        assertEquals(Optional.empty(), enrollment.authenticate(second), "a deregistered machine is refused at once");
        assertEquals(Optional.empty(), machines.find(id));
    }

    @Test
    void cachedCatalogAnswersFollowPromotionRevocationAndTiers() throws Exception {
        PatchRelease r1 = release(K1, 1);
        catalog.add(r1);
        assertEquals(List.of(r1.version()), versions(catalog.findAvailable(K1, EDGE)));
        assertEquals(List.of(), catalog.findAvailable(K1, BETA));
        catalog.promote(K1, 1, BETA);
        assertEquals(List.of(r1.version()), versions(catalog.findAvailable(K1, BETA)), "a promotion is seen at once");
        catalog.add(release(K1, 2));
        assertEquals(List.of(1L, 2L), versions(catalog.findByKernel(K1)), "an addition is seen at once");
        catalog.revoke(K1, 1);
        assertEquals(List.of(2L), versions(catalog.findAvailable(K1, EDGE)), "a revocation is seen at once");
        assertEquals(List.of(), catalog.findAvailable(K1, BETA));
        tiers.define(List.of(BETA, EDGE, CANDIDATE, STABLE));
        assertEquals(List.of(2L), versions(catalog.findAvailable(K1, BETA)), "a reorder is seen at once: beta now comes first");
    }

    private static List<Long> versions(List<PatchRelease> releases) {
        return releases.stream().map(PatchRelease::version).toList();
    }

    @Test
    void filtersSelectByTierKernelVersionStateAndLastSeen() throws Exception {
        enrollPlain("a", EDGE);
        enrollPlain("b", EDGE);
        enrollPlain("c", STABLE);
        enrollPlain("silent", STABLE);
        machines.recordReport(report(MachineId.of("a"), K1, PatchState.APPLIED, 2, T0));
        machines.recordReport(report(MachineId.of("b"), K2, PatchState.APPLY_FAILED, 0, T0.plusSeconds(3600)));
        machines.recordReport(report(MachineId.of("c"), K1, PatchState.APPLIED, 1, T0.plusSeconds(7200)));

        assertEquals(List.of("a", "b"), ids(MachineFilter.ALL.withTier(EDGE)));
        assertEquals(List.of("a", "c"), ids(MachineFilter.ALL.withKernelRelease(K1.release())));
        assertEquals(List.of("c"), ids(MachineFilter.ALL.withPatchVersion(1)));
        assertEquals(List.of("b"), ids(MachineFilter.ALL.withPatchState(PatchState.APPLY_FAILED)));
        assertEquals(List.of("b", "c"), ids(MachineFilter.ALL.withSeenAfter(T0.plusSeconds(1))));
        assertEquals(List.of("a", "silent"), ids(MachineFilter.ALL.withSeenBefore(T0.plusSeconds(1))));
        assertEquals(List.of("a"), ids(MachineFilter.ALL.withTier(EDGE).withPatchState(PatchState.APPLIED)));
        assertEquals(4, machines.count(MachineFilter.ALL));
        assertEquals(1, machines.count(MachineFilter.ALL.withTier(STABLE).withPatchVersion(1)));

        List<MachineStatus> page = machines.query(MachineFilter.ALL, 1, 2);
        assertEquals(List.of("b", "c"), page.stream().map(s -> s.machine().id().value()).toList());
        assertEquals(PatchState.APPLY_FAILED, page.get(0).lastReport().orElseThrow().report().patchState());
        assertEquals(Optional.empty(), machines.query(MachineFilter.ALL.withTier(STABLE), 1, 1).get(0).lastReport());
        assertThrows(IllegalArgumentException.class, () -> machines.query(MachineFilter.ALL, 0, 1001));
    }

    @Test
    void patchHealthCountsMachinesPerTierVersionAndState() throws Exception {
        for (String id : List.of("a", "b", "c")) {
            enrollPlain(id, EDGE);
        }
        enrollPlain("d", STABLE);
        enrollPlain("e", STABLE);
        machines.recordReport(report(MachineId.of("a"), K1, PatchState.APPLIED, 2, T0));
        machines.recordReport(report(MachineId.of("b"), K1, PatchState.APPLIED, 2, T0));
        machines.recordReport(report(MachineId.of("c"), K1, PatchState.APPLY_FAILED, 1, T0));
        machines.recordReport(report(MachineId.of("d"), K1, PatchState.APPLIED, 1, T0));

        assertEquals(List.of(
                new HealthCount(EDGE, 1, PatchState.APPLY_FAILED, 1),
                new HealthCount(EDGE, 2, PatchState.APPLIED, 2),
                new HealthCount(STABLE, 0, PatchState.NEEDS_CHECK, 1),
                new HealthCount(STABLE, 1, PatchState.APPLIED, 1)), machines.patchHealth(MachineFilter.ALL));
        assertEquals(List.of(new HealthCount(STABLE, 0, PatchState.NEEDS_CHECK, 1),
                new HealthCount(STABLE, 1, PatchState.APPLIED, 1)), machines.patchHealth(MachineFilter.ALL.withTier(STABLE)));
    }

    @Test
    void retentionDeletesOldReportsButKeepsEachMachinesLast() throws Exception {
        enrollPlain("a", EDGE);
        enrollPlain("b", EDGE);
        MachineEvent ev = new MachineEvent(MachineEvent.Kind.ERROR, T0, 0, "x");
        for (int i = 0; i < 5; i++) {
            machines.recordReport(report(MachineId.of("a"), K1, PatchState.APPLIED, 1, T0.plusSeconds(i * 3600L), ev));
        }
        machines.recordReport(report(MachineId.of("b"), K1, PatchState.APPLIED, 1, T0, ev));

        assertEquals(3, machines.deleteReportsBefore(T0.plusSeconds(3 * 3600)));

        assertEquals(2, machines.reports(MachineId.of("a"), T0, 100).size());
        assertEquals(1, machines.reports(MachineId.of("b"), T0, 100).size(), "b's only report is its last");
        assertEquals(1, machines.lastReport(MachineId.of("b")).orElseThrow().report().events().size());
        assertEquals(0, machines.deleteReportsBefore(T0.plusSeconds(3 * 3600)));
        assertEquals(3L, db.<Long>inTransaction(c -> Sql.queryLong(c, "SELECT COUNT(*) FROM machine_events")));
    }

    @Test
    void retentionWorksInBatches() throws Exception {
        enrollPlain("a", EDGE);
        int n = JdbcMachineStore.RETENTION_BATCH * 2 + 5;
        db.inTransaction(c -> {
            for (int i = 0; i < n; i++) {
                Sql.update(c, "INSERT INTO machine_reports (machine_id, received_at, kernel_release, kernel_arch, "
                        + "kernel_flavour, kernel_build, patch_state, patch_version, client_version, boot_time, uptime_ms) "
                        + "VALUES ('a', ?, 'x', 'x', '', '', 'applied', 1, '1', ?, 0)", T0.minusSeconds(n - i), T0);
            }
            return null;
        });
        machines.recordReport(report(MachineId.of("a"), K1, PatchState.APPLIED, 1, T0));
        assertEquals(n, machines.deleteReportsBefore(T0));
        assertEquals(1, machines.reports(MachineId.of("a"), Instant.EPOCH, 1000).size());
    }

    // ---- enrollment ----------------------------------------------------------------------

    @Test
    void tokensRoundTripAndStoreOnlyAHash() throws Exception {
        IssuedToken issued = enrollment.createToken(BETA, T0.plus(Duration.ofDays(1)), 3, "rack 7", "alice");
        EnrollmentToken t = issued.token();
        assertEquals(new EnrollmentToken(t.id(), BETA, "rack 7", "alice", T0, T0.plus(Duration.ofDays(1)), 3, 0, false), t);
        assertEquals(Optional.of(t), enrollment.findToken(t.id()));
        assertEquals(List.of(t), enrollment.tokens());
        assertEquals(43, issued.secret().length());
        assertFalse(issued.toString().contains(issued.secret()));
        long plain = db.<Long>inTransaction(c -> Sql.queryLong(c,
                "SELECT COUNT(*) FROM enrollment_tokens WHERE secret_hash = ? OR description = ?", issued.secret(),
                issued.secret()));
        assertEquals(0, plain, "the secret itself is not stored");

        assertThrows(IllegalArgumentException.class, () -> enrollment.createToken(BETA, T0, 1, "", "alice"));
        assertThrows(IllegalArgumentException.class, () -> enrollment.createToken(BETA, T0.plusSeconds(9), 0, "", "alice"));
        assertEquals(Reason.NOT_FOUND, assertThrows(StoreException.class,
                () -> enrollment.createToken(TierName.of("nope"), T0.plusSeconds(9), 1, "", "alice")).reason());
    }

    @Test
    void enrollmentPutsTheMachineInTheTokensTier() throws Exception {
        IssuedToken token = tokenFor(CANDIDATE, 2);
        Enrollment e = enrollment.enroll(token.secret(), MachineId.of("m1"), Set.of("dc=fra1"));

        assertEquals(new Machine(MachineId.of("m1"), CANDIDATE, Set.of("dc=fra1"), T0), e.machine());
        assertFalse(e.reenrolled());
        assertEquals(Optional.of(MachineId.of("m1")), enrollment.authenticate(e.credential()));
        assertEquals(Optional.empty(), enrollment.authenticate("not-a-credential"));
        assertEquals(1, enrollment.findToken(token.token().id()).orElseThrow().uses());
    }

    @Test
    void expiredTokensAreRejected() throws Exception {
        IssuedToken token = tokenFor(EDGE, 10);
        clock.advance(Duration.ofDays(1));
        StoreException e = assertThrows(StoreException.class,
                () -> enrollment.enroll(token.secret(), MachineId.of("m1"), Set.of()));
        assertEquals(Reason.REJECTED, e.reason());
        assertTrue(e.getMessage().contains("expired"), e.getMessage());
        assertEquals(Optional.empty(), machines.find(MachineId.of("m1")));
    }

    @Test
    void useLimitIsEnforced() throws Exception {
        IssuedToken token = tokenFor(EDGE, 2);
        enrollment.enroll(token.secret(), MachineId.of("m1"), Set.of());
        enrollment.enroll(token.secret(), MachineId.of("m2"), Set.of());
        StoreException e = assertThrows(StoreException.class,
                () -> enrollment.enroll(token.secret(), MachineId.of("m3"), Set.of()));
        assertEquals(Reason.REJECTED, e.reason());
        assertTrue(e.getMessage().contains("used up"), e.getMessage());
        assertEquals(2, enrollment.findToken(token.token().id()).orElseThrow().uses());
        assertFalse(enrollment.findToken(token.token().id()).orElseThrow().usableAt(T0));
    }

    @Test
    void revokedTokensAreRejectedAndUnknownOnesToo() throws Exception {
        IssuedToken token = tokenFor(EDGE, 5);
        assertTrue(enrollment.revokeToken(token.token().id()));
        assertFalse(enrollment.revokeToken(token.token().id()));
        assertEquals(Reason.NOT_FOUND, assertThrows(StoreException.class, () -> enrollment.revokeToken("nope")).reason());
        assertEquals(Reason.REJECTED, assertThrows(StoreException.class,
                () -> enrollment.enroll(token.secret(), MachineId.of("m1"), Set.of())).reason());
        assertEquals(Reason.REJECTED, assertThrows(StoreException.class,
                () -> enrollment.enroll("guess", MachineId.of("m1"), Set.of())).reason());
    }

    @Test
    void reenrollmentIsIdempotentAndRotatesTheCredential() throws Exception {
        IssuedToken token = tokenFor(BETA, 1);
        MachineId id = MachineId.of("m1");
        Enrollment first = enrollment.enroll(token.secret(), id, Set.of("a"));
        machines.recordReport(report(id, K1, PatchState.APPLIED, 1, T0));
        clock.advance(Duration.ofMinutes(5));

        Enrollment again = enrollment.enroll(token.secret(), id, Set.of("b"));

        assertTrue(again.reenrolled());
        assertEquals(new Machine(id, BETA, Set.of("b"), T0), again.machine(), "first enrollment time kept");
        assertNotEquals(first.credential(), again.credential());
        // The old credential keeps working until the new one is first used, so a machine that
        // refused the answer (or never got it) is not locked out; a third enrollment before that
        // keeps the old one and voids the unused one.
        assertEquals(Optional.of(id), enrollment.authenticate(first.credential()), "old credential works until the new one is used");
        Enrollment third = enrollment.enroll(token.secret(), id, Set.of("b"));
        assertEquals(Optional.empty(), enrollment.authenticate(again.credential()), "an unused rotated credential is void");
        assertEquals(Optional.of(id), enrollment.authenticate(first.credential()), "the last working one still works");
        assertEquals(Optional.of(id), enrollment.authenticate(third.credential()));
        assertEquals(Optional.empty(), enrollment.authenticate(first.credential()), "old credential stops once the new one was used");
        assertEquals(Optional.of(id), enrollment.authenticate(third.credential()));
        assertEquals(1, enrollment.findToken(token.token().id()).orElseThrow().uses(), "same token: no new use");
        assertTrue(machines.lastReport(id).isPresent(), "history kept");

        IssuedToken other = tokenFor(STABLE, 1);
        Enrollment moved = enrollment.enroll(other.secret(), id, Set.of());
        assertEquals(STABLE, moved.machine().tier());
        assertEquals(1, machines.count(MachineFilter.ALL));

        machines.remove(id);
        assertEquals(Optional.empty(), enrollment.authenticate(moved.credential()), "deregistered");
    }

    // ---- audit ---------------------------------------------------------------------------

    @Test
    void auditLogAppendsAndPages() throws Exception {
        AuditEntry a = audit.append("alice", "tier.create", "qa", "", "{\"position\":1}");
        clock.advance(Duration.ofSeconds(1));
        AuditEntry b = audit.append("bob", "patch.promote", "5.15.0-91-generic/x86_64#3", "{\"tier\":\"edge\"}",
                "{\"tier\":\"beta\"}");
        assertEquals(T0, a.time());
        assertTrue(b.id() > a.id());
        assertEquals(List.of(a, b), audit.entries(0, 10));
        assertEquals(List.of(b), audit.entries(a.id(), 10));
        assertEquals(List.of(a), audit.entries(0, 1));
        assertThrows(IllegalArgumentException.class, () -> audit.append("", "x", "", "", ""));
        assertEquals(2, audit.entries(0, 10).size(), "an invalid entry writes nothing");
    }

    // ---- helpers -------------------------------------------------------------------------

    private IssuedToken tokenFor(TierName tier, int uses) throws StoreException {
        return enrollment.createToken(tier, T0.plus(Duration.ofHours(1)), uses, "", "test");
    }

    private void enrollPlain(String id, TierName tier) throws StoreException {
        machines.enroll(new Machine(MachineId.of(id), tier, Set.of(), T0));
    }

    private List<String> ids(MachineFilter f) throws StoreException {
        return machines.query(f, 0, 100).stream().map(s -> s.machine().id().value()).toList();
    }

}
