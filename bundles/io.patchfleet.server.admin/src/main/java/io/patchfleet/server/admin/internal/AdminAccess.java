package io.patchfleet.server.admin.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.patchfleet.server.api.ApiException;
import io.patchfleet.server.api.ApiRequest;
import io.patchfleet.server.api.Authenticator;
import io.patchfleet.server.api.Principal;
import io.patchfleet.server.api.Scope;
import io.patchfleet.store.api.StoreException;
import io.patchfleet.store.api.User;
import io.patchfleet.store.api.UserStore;

/**
 * Admin credentials: password login with lockout, session tokens, and the {@link Scope#ADMIN}
 * {@link Authenticator}. On first start with no users it creates {@code admin} with a random
 * password written to {@code DATA/initial-admin-password} (owner-only).
 *
 * <p>Activation hashes one password when it creates the first admin (a fraction of a second) and
 * does so before the authenticator is registered, so no login can race the first admin.
 */
@Component(service = {Authenticator.class, AdminAccess.class}, configurationPid = AdminAccess.PID,
        configurationPolicy = ConfigurationPolicy.OPTIONAL)
@Designate(ocd = AdminAccess.Config.class)
public final class AdminAccess implements Authenticator {
    static final String PID = "io.patchfleet.server.admin";
    static final String DATA_PROPERTY = "patchfleet.data";
    static final String INITIAL_PASSWORD_FILE = "initial-admin-password";
    private static final Logger LOG = LoggerFactory.getLogger(AdminAccess.class);
    private static final Logger SECURITY = LoggerFactory.getLogger("io.patchfleet.security");

    @ObjectClassDefinition(name = "Patchfleet admin access",
            description = "Admin logins: token lifetime, lockout after failed logins, password hashing")
    public @interface Config {
        @AttributeDefinition(name = "Token lifetime (s)", description = "How long an admin token from login stays valid", min = "1")
        long token_lifetime_seconds() default 43_200;

        @AttributeDefinition(name = "Failures before lockout", description = "Failed logins of one user within the window that lock it", min = "1")
        int lockout_max_failures() default 5;

        @AttributeDefinition(name = "Failure window (s)", description = "Failed logins further apart than this start counting again", min = "1")
        long lockout_window_seconds() default 900;

        @AttributeDefinition(name = "Lockout (s)", description = "How long a locked user (or address) is refused", min = "1")
        long lockout_duration_seconds() default 900;

        @AttributeDefinition(name = "Failures per address", description = "Failed logins from one client address within the window that lock that address out (0: no limit)", min = "0")
        int address_max_failures() default 30;

        @AttributeDefinition(name = "bcrypt cost", description = "log2 of the bcrypt rounds for new password hashes", min = "4", max = "31")
        int bcrypt_cost() default 12;
    }

    /** The policy values in plain types (tests build them by hand). */
    record Policy(Duration tokenLifetime, int maxFailures, Duration window, Duration lockFor, int addressMaxFailures) {
        static Policy of(Config c) {
            return new Policy(Duration.ofSeconds(c.token_lifetime_seconds()), Math.max(1, c.lockout_max_failures()),
                    Duration.ofSeconds(c.lockout_window_seconds()), Duration.ofSeconds(c.lockout_duration_seconds()),
                    c.address_max_failures());
        }
    }

    /** What a successful login returns. */
    record Login(String token, String user, String role, Instant expiresAt) {}

    private final UserStore users;
    private final Clock clock;
    private final Sessions sessions;
    private final FailureCounter unknownUsers;
    private final FailureCounter addresses;
    private volatile Passwords passwords;
    private volatile Policy policy;

    @Activate
    public AdminAccess(@Reference UserStore users, BundleContext context, Config config) throws StoreException, IOException {
        this(users, Clock.systemUTC(), new Passwords(config.bcrypt_cost()), Policy.of(config));
        Optional<Path> created = createFirstAdmin(dataDirectory(context));
        created.ifPresent(path -> LOG.warn("Created the first admin user 'admin'; its password is in {} (readable by the "
                + "server's user only). Log in with 'patchfleet admin login', then set a new password and delete the file.", path));
    }

    AdminAccess(UserStore users, Clock clock, Passwords passwords, Policy policy) {
        this.users = Objects.requireNonNull(users, "users");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.passwords = passwords;
        this.policy = policy;
        this.sessions = new Sessions(clock);
        this.unknownUsers = new FailureCounter(clock, 10_000);
        this.addresses = new FailureCounter(clock, 10_000);
    }

    @Modified
    void modified(Config config) {
        this.policy = Policy.of(config);
        if (config.bcrypt_cost() != passwords.cost()) {
            this.passwords = new Passwords(config.bcrypt_cost());
        }
    }

    Passwords passwords() {
        return passwords;
    }

    Policy policy() {
        return policy;
    }

    private static Path dataDirectory(BundleContext context) {
        String data = context.getProperty(DATA_PROPERTY);
        if (data == null || data.isBlank()) {
            throw new IllegalStateException("framework property " + DATA_PROPERTY
                    + " is not set; start the server with 'patchfleet server'");
        }
        return Path.of(data);
    }

    /**
     * Creates {@code admin} with a random password when there is no user at all, writing the
     * password file before the user so an admin never exists with a password nobody can read.
     *
     * @return the password file, when it created the user
     */
    Optional<Path> createFirstAdmin(Path dataDir) throws StoreException, IOException {
        if (users.count() > 0) {
            return Optional.empty();
        }
        String password = passwords.randomPassword();
        Path file = dataDir.resolve(INITIAL_PASSWORD_FILE);
        writeOwnerOnly(file, password + "\n");
        try {
            users.create("admin", Roles.ADMIN, passwords.hash(password));
        } catch (StoreException e) {
            if (e.reason() == StoreException.Reason.CONFLICT) {
                Files.deleteIfExists(file); // another node created it first
                return Optional.empty();
            }
            throw e;
        }
        SECURITY.info("security event=user.create user=admin role=admin actor=system");
        return Optional.of(file);
    }

    static void writeOwnerOnly(Path file, String content) throws IOException {
        Files.createDirectories(file.getParent());
        Path tmp = Files.createTempFile(file.getParent(), ".initial-admin-password", ".tmp",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        try {
            try (var channel = java.nio.channels.FileChannel.open(tmp, java.nio.file.StandardOpenOption.WRITE)) {
                channel.write(java.nio.ByteBuffer.wrap(content.getBytes(StandardCharsets.UTF_8)));
                channel.force(true);
            }
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /**
     * Exchanges a user name and password for a token. Unknown user and wrong password get the
     * same answer, in about the same time.
     *
     * @throws ApiException 401 {@code invalid-credentials}; 429 {@code locked-out} with a
     *     {@code Retry-After} while the user or the client address is locked
     */
    Login login(String name, String password, Optional<String> address) throws ApiException, StoreException {
        Policy p = policy;
        Optional<Instant> addressLock = address.flatMap(addresses::lockedUntil);
        if (addressLock.isPresent()) {
            SECURITY.warn("security event=login.refused reason=address-locked address={}", address.get());
            throw lockedOut(addressLock.get());
        }
        Optional<User> user = validName(name) ? users.find(name) : Optional.empty();
        Instant now = clock.instant();
        String key = user.isPresent() ? null : "user:" + name;
        Optional<Instant> userLock = user.isPresent() ? user.get().lockedUntil().filter(now::isBefore)
                : unknownUsers.lockedUntil(key);
        if (userLock.isPresent()) {
            SECURITY.warn("security event=login.refused reason=user-locked user={} address={}", printable(name), address.orElse("-"));
            throw lockedOut(userLock.get());
        }
        boolean ok = passwords.matches(password, user.map(User::passwordHash).orElse(null))
                && user.isPresent() && Roles.known(user.get().role());
        if (!ok) {
            if (user.isPresent()) {
                users.recordFailedLogin(name, p.maxFailures(), p.window(), p.lockFor());
            } else {
                unknownUsers.fail(key, p.maxFailures(), p.window(), p.lockFor());
            }
            if (address.isPresent() && p.addressMaxFailures() > 0) {
                addresses.fail(address.get(), p.addressMaxFailures(), p.window(), p.lockFor());
            }
            SECURITY.warn("security event=login.failed user={} address={}", printable(name), address.orElse("-"));
            throw new ApiException(401, "invalid-credentials", "Invalid user name or password");
        }
        User u = users.recordLogin(name);
        Sessions.Issued issued = sessions.issue(u.name(), u.role(), p.tokenLifetime());
        SECURITY.info("security event=login user={} role={} address={}", u.name(), u.role(), address.orElse("-"));
        return new Login(issued.token(), u.name(), u.role(), issued.session().expiresAt());
    }

    private static boolean validName(String name) {
        try {
            User.checkName(name);
            return true;
        } catch (IllegalArgumentException | NullPointerException e) {
            return false;
        }
    }

    private static String printable(String s) {
        String cut = s == null ? "" : s.length() > 64 ? s.substring(0, 64) : s;
        return cut.replaceAll("[^A-Za-z0-9._@-]", "?");
    }

    private ApiException lockedOut(Instant until) {
        long seconds = Math.max(1, Duration.between(clock.instant(), until).toSeconds() + 1);
        return new RetryAfterException(seconds);
    }

    /** 429 that carries the seconds for {@code Retry-After}. */
    static final class RetryAfterException extends ApiException {
        private static final long serialVersionUID = 1L;
        final long seconds;

        RetryAfterException(long seconds) {
            super(429, "locked-out", "Too many failed logins; try again in " + seconds + " s");
            this.seconds = seconds;
        }
    }

    /** Ends the session of a token. */
    boolean logout(String token) {
        return sessions.revoke(token);
    }

    /** Ends every session of a user: after a role change, a password reset or a deletion. */
    void endSessionsOf(String user) {
        int n = sessions.revokeUser(user);
        if (n > 0) {
            SECURITY.info("security event=sessions.revoked user={} count={}", user, n);
        }
    }

    /** The live session of a bearer token. */
    Optional<Sessions.Session> session(String token) {
        return sessions.find(token);
    }

    @Override
    public Scope scope() {
        return Scope.ADMIN;
    }

    @Override
    public Optional<Principal> authenticate(String authorization, ApiRequest request) {
        Optional<String> token = bearer(authorization);
        if (token.isEmpty()) {
            return Optional.empty();
        }
        return sessions.find(token.get()).flatMap(s -> {
            try {
                return Optional.of(new Principal(s.user(), Scope.ADMIN, Roles.implied(s.role())));
            } catch (IllegalArgumentException unknownRole) {
                return Optional.empty();
            }
        });
    }

    /** The token of an {@code Authorization: Bearer …} header. */
    static Optional<String> bearer(String authorization) {
        if (authorization == null || authorization.length() < 8
                || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return Optional.empty();
        }
        String token = authorization.substring(7).strip();
        return token.isEmpty() || token.length() > 256 ? Optional.empty() : Optional.of(token);
    }
}
