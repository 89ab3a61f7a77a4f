package io.patchfleet.store.api;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * An administrator account as stored: name, role, password hash and login bookkeeping.
 *
 * @param name the login name: 1–64 characters of {@code [a-z0-9._@-]} starting with a letter or
 *     digit (lower case only, so there are no case-folding twins); never {@code null}
 * @param role the role name, 1–32 characters of {@code [a-z]} (the admin API defines
 *     {@code admin}, {@code operator}, {@code auditor}); never {@code null}
 * @param passwordHash the password in the slow-KDF form the caller chose (bcrypt:
 *     {@code $2y$12$…}); 1–256 characters; never the password itself
 * @param createdAt when the user was created
 * @param passwordChangedAt when the password hash was last set
 * @param failedLogins failed logins counted in the current window; not negative
 * @param firstFailureAt when the current window of failures began; empty when there is none
 * @param lockedUntil logins are refused before this instant; empty when not locked
 * @param lastLoginAt the last successful login; empty when never
 */
public record User(String name, String role, String passwordHash, Instant createdAt, Instant passwordChangedAt,
        int failedLogins, Optional<Instant> firstFailureAt, Optional<Instant> lockedUntil,
        Optional<Instant> lastLoginAt) {
    private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9._@-]{0,63}");
    private static final Pattern ROLE = Pattern.compile("[a-z]{1,32}");

    public User {
        checkName(name);
        checkRole(role);
        Objects.requireNonNull(passwordHash, "password hash");
        if (passwordHash.isEmpty() || passwordHash.length() > 256) {
            throw new IllegalArgumentException("password hash must have 1..256 characters");
        }
        Objects.requireNonNull(createdAt, "createdAt");
        Objects.requireNonNull(passwordChangedAt, "passwordChangedAt");
        Objects.requireNonNull(firstFailureAt, "firstFailureAt");
        Objects.requireNonNull(lockedUntil, "lockedUntil");
        Objects.requireNonNull(lastLoginAt, "lastLoginAt");
        if (failedLogins < 0) {
            throw new IllegalArgumentException("failed logins must not be negative");
        }
    }

    /**
     * Checks a user name.
     *
     * @return {@code name}
     * @throws IllegalArgumentException if it is not 1–64 characters of {@code [a-z0-9._@-]}
     *     starting with a letter or digit
     */
    public static String checkName(String name) {
        Objects.requireNonNull(name, "user name");
        if (!NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("invalid user name: use 1-64 characters of a-z 0-9 . _ @ -, "
                    + "starting with a letter or digit");
        }
        return name;
    }

    /**
     * Checks a role name.
     *
     * @return {@code role}
     * @throws IllegalArgumentException if it is not 1–32 lower-case letters
     */
    public static String checkRole(String role) {
        Objects.requireNonNull(role, "role");
        if (!ROLE.matcher(role).matches()) {
            throw new IllegalArgumentException("invalid role name");
        }
        return role;
    }

    /** Whether logins are refused at {@code now}. */
    public boolean lockedAt(Instant now) {
        return lockedUntil.filter(now::isBefore).isPresent();
    }

    @Override
    public String toString() {
        return "User[" + name + ", role=" + role + ", passwordHash=<hidden>, lockedUntil=" + lockedUntil + "]";
    }
}
