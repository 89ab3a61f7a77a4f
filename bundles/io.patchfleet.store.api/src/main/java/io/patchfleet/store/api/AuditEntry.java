package io.patchfleet.store.api;

import java.time.Instant;
import java.util.Objects;

/**
 * One change recorded in the audit log.
 *
 * @param id increasing with each entry (page with it); at least 1
 * @param time when the store recorded it; never {@code null}
 * @param actor who made the change (a user name, {@code system}, {@code sync}); 1–128 characters
 * @param action what kind of change, e.g. {@code tier.create}, {@code patch.promote}; 1–64 characters
 * @param target what it changed, e.g. a tier name or {@code 5.15.0-91-generic/x86_64#3}; at most
 *     512 characters, empty when none
 * @param before the state before, as the caller describes it (usually JSON); empty when none;
 *     at most 16384 characters
 * @param after the state after, same form; empty when none (a deletion)
 */
public record AuditEntry(long id, Instant time, String actor, String action, String target, String before,
        String after) {
    /** Longest {@link #before} or {@link #after} accepted. */
    public static final int MAX_STATE = 16384;

    public AuditEntry {
        Objects.requireNonNull(time, "audit time");
        check(actor, "actor", 1, 128);
        check(action, "action", 1, 64);
        check(target, "target", 0, 512);
        check(before, "before", 0, MAX_STATE);
        check(after, "after", 0, MAX_STATE);
        if (id < 1) {
            throw new IllegalArgumentException("audit entry id must be positive: " + id);
        }
    }

    static void check(String value, String name, int min, int max) {
        Objects.requireNonNull(value, name);
        if (value.length() < min || value.length() > max) {
            throw new IllegalArgumentException("audit " + name + " must have " + min + ".." + max + " characters");
        }
    }
}
