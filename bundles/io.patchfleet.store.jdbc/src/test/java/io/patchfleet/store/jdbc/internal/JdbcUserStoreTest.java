package io.patchfleet.store.jdbc.internal;

import static io.patchfleet.store.jdbc.internal.Fixtures.K1;
import static io.patchfleet.store.jdbc.internal.Fixtures.T0;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.patchfleet.model.KernelId;
import io.patchfleet.store.api.StoreException;
import io.patchfleet.store.api.StoreException.Reason;
import io.patchfleet.store.api.User;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Users and lockout bookkeeping against a real HSQLDB file (schema V2). */
class JdbcUserStoreTest {
    private static final Duration WINDOW = Duration.ofMinutes(10);
    private static final Duration LOCK = Duration.ofMinutes(15);

    @TempDir
    Path dir;
    TestClock clock = new TestClock(T0);
    Database db;
    JdbcUserStore users;

    @BeforeEach
    void open() throws Exception {
        db = Fixtures.open(dir, clock);
        users = new JdbcUserStore(db);
    }

    @AfterEach
    void close() {
        db.close();
    }

    @Test
    void createFindListAndSurviveARestart() throws Exception {
        assertEquals(0, users.count());
        User ada = users.create("ada", "admin", "$2y$12$hash");
        assertEquals("admin", ada.role());
        assertEquals(T0, ada.createdAt());
        users.create("bob", "auditor", "$2y$12$other");
        assertEquals(StoreException.Reason.CONFLICT,
                assertThrows(StoreException.class, () -> users.create("ada", "operator", "x")).reason());
        db.close();
        open();
        assertEquals(List.of("ada", "bob"), users.list().stream().map(User::name).toList());
        assertEquals("$2y$12$hash", users.find("ada").orElseThrow().passwordHash());
        assertTrue(users.find("nobody").isEmpty());
        assertEquals(2, users.count());
    }

    @Test
    void malformedNamesAndRolesAreRefusedBeforeWriting() throws Exception {
        assertThrows(IllegalArgumentException.class, () -> users.create("Ada", "admin", "h"));
        assertThrows(IllegalArgumentException.class, () -> users.create("../x", "admin", "h"));
        assertThrows(IllegalArgumentException.class, () -> users.create("ada", "Admin!", "h"));
        assertThrows(IllegalArgumentException.class, () -> users.create("ada", "admin", ""));
        assertEquals(0, users.count());
    }

    @Test
    void theLastAdminCanBeNeitherDemotedNorDeleted() throws Exception {
        users.create("ada", "admin", "h");
        assertEquals(Reason.CONFLICT, assertThrows(StoreException.class, () -> users.setRole("ada", "operator")).reason());
        assertEquals(Reason.CONFLICT, assertThrows(StoreException.class, () -> users.delete("ada")).reason());
        users.create("eve", "admin", "h");
        assertEquals("operator", users.setRole("ada", "operator").role());
        assertEquals(Reason.CONFLICT, assertThrows(StoreException.class, () -> users.delete("eve")).reason());
        assertEquals("ada", users.delete("ada").name());
        assertEquals(Reason.NOT_FOUND, assertThrows(StoreException.class, () -> users.delete("ada")).reason());
        assertEquals(Reason.NOT_FOUND, assertThrows(StoreException.class, () -> users.setRole("zed", "admin")).reason());
    }

    @Test
    void failuresWithinTheWindowLockAndANewPasswordUnlocks() throws Exception {
        users.create("ada", "operator", "h1");
        for (int i = 1; i <= 4; i++) {
            User u = users.recordFailedLogin("ada", 5, WINDOW, LOCK);
            assertEquals(i, u.failedLogins());
            assertFalse(u.lockedAt(clock.instant()));
            clock.advance(Duration.ofSeconds(30));
        }
        User locked = users.recordFailedLogin("ada", 5, WINDOW, LOCK);
        assertTrue(locked.lockedAt(clock.instant()));
        assertEquals(Optional.of(clock.instant().plus(LOCK)), locked.lockedUntil());
        clock.advance(LOCK.plusSeconds(1));
        assertFalse(users.find("ada").orElseThrow().lockedAt(clock.instant()), "the lock expires");

        users.recordFailedLogin("ada", 5, WINDOW, LOCK);
        users.lockUntil("ada", Optional.of(clock.instant().plus(Duration.ofDays(1))));
        User reset = users.setPasswordHash("ada", "h2");
        assertEquals("h2", reset.passwordHash());
        assertEquals(0, reset.failedLogins());
        assertTrue(reset.lockedUntil().isEmpty());
    }

    @Test
    void failuresOutsideTheWindowStartAgain() throws Exception {
        users.create("ada", "operator", "h");
        for (int i = 0; i < 4; i++) {
            users.recordFailedLogin("ada", 5, WINDOW, LOCK);
        }
        clock.advance(WINDOW.plusSeconds(1));
        User u = users.recordFailedLogin("ada", 5, WINDOW, LOCK);
        assertEquals(1, u.failedLogins());
        assertFalse(u.lockedAt(clock.instant()));
        User ok = users.recordLogin("ada");
        assertEquals(0, ok.failedLogins());
        assertEquals(Optional.of(clock.instant()), ok.lastLoginAt());
    }

    @Test
    void patchesAreListedByKernelReleaseAcrossArchitectures() throws Exception {
        JdbcPatchCatalog catalog = new JdbcPatchCatalog(db);
        KernelId arm = new KernelId(K1.release(), "aarch64", K1.flavour(), "");
        catalog.add(Fixtures.release(K1, 1));
        catalog.add(Fixtures.release(arm, 1));
        catalog.add(Fixtures.release(K1, 2));
        catalog.add(Fixtures.release(Fixtures.K2, 1));
        assertEquals(3, catalog.findByRelease(K1.release()).size());
        assertEquals("aarch64", catalog.findByRelease(K1.release()).get(0).kernel().architecture());
        assertEquals(List.of(), catalog.findByRelease("4.4.0-1-generic"));
        assertThrows(IllegalArgumentException.class, () -> catalog.findByRelease("not a kernel"));
    }
}
