package io.patchfleet.server.admin.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.patchfleet.server.api.ApiException;
import io.patchfleet.server.api.Principal;
import io.patchfleet.server.api.Scope;

/** Hashing, role implication, token expiry and lockout, without a framework (bcrypt cost 4 for speed). */
class AdminAccessTest {
    static final Instant T0 = Instant.parse("2026-03-01T10:00:00Z");
    static final Optional<String> ADDRESS = Optional.of("192.0.2.7");

    MutableClock clock = new MutableClock(T0);
    MemoryUserStore users = new MemoryUserStore(clock);
    Passwords passwords = new Passwords(4);
    AdminAccess.Policy policy = new AdminAccess.Policy(Duration.ofHours(12), 5, Duration.ofMinutes(15),
            Duration.ofMinutes(15), 30);
    AdminAccess access = new AdminAccess(users, clock, passwords, policy);

    @TempDir
    Path data;

    @Test
    void bcryptHashesAreSaltedAndCheckedAndOverlongPasswordsRefused() {
        String h1 = passwords.hash("correct horse battery");
        String h2 = passwords.hash("correct horse battery");
        assertTrue(h1.startsWith("$2y$04$"), h1);
        assertNotEquals(h1, h2, "fresh salt each time");
        assertTrue(passwords.matches("correct horse battery", h1));
        assertFalse(passwords.matches("correct horse batterY", h1));
        assertFalse(passwords.matches("anything", null), "an unknown user never matches");
        assertFalse(passwords.matches("x".repeat(100), passwords.hash("x".repeat(72))), "no silent cut at 72 bytes");
        assertThrows(IllegalArgumentException.class, () -> Passwords.checkNew("short"));
        assertThrows(IllegalArgumentException.class, () -> Passwords.checkNew("é".repeat(40)));
        assertThrows(IllegalArgumentException.class, () -> Passwords.checkNew("long enough\u0000x"));
        assertEquals(12, new Passwords(12).cost(), "production cost");
    }

    @Test
    void rolesImplyTheWeakerOnes() {
        assertEquals(Set.of("admin", "operator", "auditor"), Roles.implied("admin"));
        assertEquals(Set.of("operator", "auditor"), Roles.implied("operator"));
        assertEquals(Set.of("auditor"), Roles.implied("auditor"));
        assertThrows(IllegalArgumentException.class, () -> Roles.implied("root"));
    }

    @Test
    void aTokenWorksUntilItExpiresAndUntilLogout() throws Exception {
        users.create("olga", "operator", passwords.hash("olga-password-1"));
        AdminAccess.Login login = access.login("olga", "olga-password-1", ADDRESS);
        assertEquals(T0.plus(Duration.ofHours(12)), login.expiresAt());
        assertEquals(43, login.token().length(), "32 random bytes, base64url");
        Principal p = access.authenticate("Bearer " + login.token(), null).orElseThrow();
        assertEquals(new Principal("olga", Scope.ADMIN, Set.of("operator", "auditor")), p);
        assertTrue(access.authenticate("bearer " + login.token(), null).isPresent(), "scheme is case-insensitive");
        assertTrue(access.authenticate("Bearer nope", null).isEmpty());
        assertTrue(access.authenticate("Basic " + login.token(), null).isEmpty());

        clock.advance(Duration.ofHours(12).minusSeconds(1));
        assertTrue(access.authenticate("Bearer " + login.token(), null).isPresent());
        clock.advance(Duration.ofSeconds(1));
        assertTrue(access.authenticate("Bearer " + login.token(), null).isEmpty(), "expired at expiresAt");

        AdminAccess.Login second = access.login("olga", "olga-password-1", ADDRESS);
        assertTrue(access.logout(second.token()));
        assertTrue(access.authenticate("Bearer " + second.token(), null).isEmpty());
    }

    @Test
    void endingAUsersSessionsClosesEveryTokenOfThatUser() throws Exception {
        users.create("olga", "operator", passwords.hash("olga-password-1"));
        users.create("ali", "auditor", passwords.hash("ali-password-1"));
        String t1 = access.login("olga", "olga-password-1", ADDRESS).token();
        String t2 = access.login("olga", "olga-password-1", ADDRESS).token();
        String t3 = access.login("ali", "ali-password-1", ADDRESS).token();
        access.endSessionsOf("olga");
        assertTrue(access.authenticate("Bearer " + t1, null).isEmpty());
        assertTrue(access.authenticate("Bearer " + t2, null).isEmpty());
        assertTrue(access.authenticate("Bearer " + t3, null).isPresent());
    }

    @Test
    void unknownUserAndWrongPasswordAnswerTheSame() throws Exception {
        users.create("olga", "operator", passwords.hash("olga-password-1"));
        ApiException wrong = assertThrows(ApiException.class, () -> access.login("olga", "nope-nope-nope", ADDRESS));
        ApiException unknown = assertThrows(ApiException.class, () -> access.login("nobody", "nope-nope-nope", ADDRESS));
        ApiException malformed = assertThrows(ApiException.class, () -> access.login("../Nobody", "nope", ADDRESS));
        for (ApiException e : new ApiException[] {wrong, unknown, malformed}) {
            assertEquals(401, e.status());
            assertEquals("invalid-credentials", e.code());
            assertEquals("Invalid user name or password", e.getMessage());
        }
    }

    @Test
    void fiveFailuresLockTheUserEvenForTheRightPasswordUntilTheLockEnds() throws Exception {
        users.create("olga", "operator", passwords.hash("olga-password-1"));
        for (int i = 0; i < 5; i++) {
            assertEquals(401, assertThrows(ApiException.class, () -> access.login("olga", "wrong-password", ADDRESS)).status());
            clock.advance(Duration.ofSeconds(10));
        }
        AdminAccess.RetryAfterException locked = assertThrows(AdminAccess.RetryAfterException.class,
                () -> access.login("olga", "olga-password-1", ADDRESS));
        assertEquals(429, locked.status());
        assertEquals("locked-out", locked.code());
        assertTrue(locked.seconds > 800 && locked.seconds <= 901, "Retry-After " + locked.seconds);

        clock.advance(Duration.ofMinutes(15));
        assertEquals("olga", access.login("olga", "olga-password-1", ADDRESS).user());
    }

    @Test
    void unknownUsersLockLikeKnownOnesSoLockoutDoesNotRevealWhoExists() {
        for (int i = 0; i < 5; i++) {
            assertEquals(401, assertThrows(ApiException.class, () -> access.login("ghost", "wrong-password", ADDRESS)).status());
        }
        assertEquals(429, assertThrows(ApiException.class, () -> access.login("ghost", "wrong-password", ADDRESS)).status());
    }

    @Test
    void oneAddressFailingAcrossManyUsersIsLockedOut() {
        AdminAccess strict = new AdminAccess(users, clock, passwords,
                new AdminAccess.Policy(Duration.ofHours(1), 5, Duration.ofMinutes(15), Duration.ofMinutes(15), 3));
        for (int i = 0; i < 3; i++) {
            String name = "user" + i;
            assertEquals(401, assertThrows(ApiException.class, () -> strict.login(name, "wrong-password", ADDRESS)).status());
        }
        assertEquals(429, assertThrows(ApiException.class, () -> strict.login("other", "x-password", ADDRESS)).status());
        assertEquals(401, assertThrows(ApiException.class,
                () -> strict.login("other", "x-password", Optional.of("198.51.100.1"))).status(), "other addresses unaffected");
    }

    @Test
    void theFirstStartCreatesAdminWithAnOwnerOnlyPasswordFileOnce() throws Exception {
        Path file = access.createFirstAdmin(data).orElseThrow();
        assertEquals(data.resolve("initial-admin-password"), file);
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        String password = Files.readString(file).strip();
        assertEquals(32, password.length());
        assertEquals("admin", access.login("admin", password, ADDRESS).role());
        assertTrue(access.createFirstAdmin(data).isEmpty(), "users exist: nothing created");
        assertEquals(1, users.count());
    }
}
