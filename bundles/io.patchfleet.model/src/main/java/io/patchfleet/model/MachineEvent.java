package io.patchfleet.model;

import java.time.Instant;
import java.util.Objects;

/**
 * Something that happened on a machine between two check-ins, sent with the next
 * {@link MachineReport}. Events around a patch insertion let the server see how far an apply
 * got before a machine went silent.
 *
 * @param kind what happened; never {@code null}
 * @param time when, by the machine's clock; never {@code null}
 * @param patchVersion the patch version the event is about; 0 when none (e.g. an error before
 *     any patch was chosen); not negative
 * @param detail a human readable detail (error text, transition time, health result); empty
 *     when none; at most {@value #MAX_DETAIL} characters, never {@code null}
 */
public record MachineEvent(Kind kind, Instant time, long patchVersion, String detail) {
    /** Longest {@link #detail} accepted; longer text must be cut by the sender. */
    public static final int MAX_DETAIL = 4096;

    public MachineEvent {
        Objects.requireNonNull(kind, "event kind");
        Objects.requireNonNull(time, "event time");
        Objects.requireNonNull(detail, "event detail");
        if (patchVersion < 0) {
            throw new IllegalArgumentException("event patch version must not be negative: " + patchVersion);
        }
        if (detail.length() > MAX_DETAIL) {
            throw new IllegalArgumentException("event detail longer than " + MAX_DETAIL + " characters");
        }
    }

    /** The kinds of machine events. */
    public enum Kind {
        /** About to insert a patch module (written before insertion: the crash-loop guard reads it). */
        BEFORE_INSERT("before-insert"),
        /** The module was inserted. */
        AFTER_INSERT("after-insert"),
        /** The livepatch transition finished (or was reversed; see detail). */
        AFTER_TRANSITION("after-transition"),
        /** A health check some minutes after applying (1, 5, 15 minutes). */
        HEALTH_PING("health-ping"),
        /** Something failed; see detail. */
        ERROR("error");

        private final String wireName;

        Kind(String wireName) {
            this.wireName = wireName;
        }

        /** The name on the wire, e.g. {@code "before-insert"}. */
        public String wireName() {
            return wireName;
        }

        /**
         * The constant with this wire name.
         *
         * @throws IllegalArgumentException if no constant has it (no silent fallback)
         */
        public static Kind fromWire(String wireName) {
            return Wire.fromWire(Kind.class, Kind::wireName, wireName);
        }
    }
}
