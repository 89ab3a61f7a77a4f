package io.patchfleet.cli;

/**
 * Exit codes of every {@code patchfleet} verb. Documented in the README and in {@code --help};
 * scripts rely on them, so they never change meaning.
 */
public final class ExitCodes {
    /** Success. */
    public static final int OK = 0;
    /** The machine is not enabled (status), as Canonical's client does. */
    public static final int NOT_ENABLED = 1;
    /** Bad usage: unknown option, missing argument. */
    public static final int USAGE = 2;
    /** The local client daemon is not running or its socket cannot be reached. */
    public static final int DAEMON_UNREACHABLE = 3;
    /** The command failed; the message says why. */
    public static final int FAILED = 4;

    /** Admin verbs: not logged in, the session expired, or the server refused the credentials or role (401, 403). */
    public static final int NOT_LOGGED_IN = 5;
    /** Admin verbs: what the command names does not exist (404). */
    public static final int NOT_FOUND = 6;
    /** Admin verbs: the change conflicts with the server's state (409): it exists, is in use, or is the last admin. */
    public static final int CONFLICT = 7;

    /** Publisher {@code verify}: the repository does not verify (signature, expiry, version, or a target's bytes). */
    public static final int VERIFY_FAILED = 8;
    /** Publisher verbs: a signing key is missing or cannot be unlocked (wrong or missing passphrase). */
    public static final int KEY_UNAVAILABLE = 9;

    /**
     * {@code kernel-upgrade-required}: no upgrade is required. Same number as
     * {@link #NOT_ENABLED}: the verb answers 0 when an upgrade is required and 1 otherwise, as
     * Canonical's {@code kernel-upgrade-required} does for login message hooks.
     */
    public static final int UPGRADE_NOT_REQUIRED = 1;

    private ExitCodes() {}
}
