package io.patchfleet.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

/** The fast wire-time reader must agree with {@link Instant#parse} on every input. */
class WireTimeTest {

    /** What Instant.parse says: the instant, or its exception's class. */
    private static Object reference(String s) {
        try {
            return Instant.parse(s);
        } catch (DateTimeParseException e) {
            return DateTimeParseException.class;
        }
    }

    private static Object fast(String s) {
        try {
            return WireTime.parse(s);
        } catch (DateTimeParseException e) {
            return DateTimeParseException.class;
        }
    }

    @Test
    void agreesWithInstantParseOnEdgeCases() {
        for (String s : List.of("2026-11-20T08:00:00Z", "1970-01-01T00:00:00Z", "0000-01-01T00:00:00Z",
                "2024-02-29T23:59:59Z", "2023-02-29T00:00:00Z", "2026-13-01T00:00:00Z", "2026-00-10T00:00:00Z",
                "2026-11-31T00:00:00Z", "2026-11-20T24:00:00Z", "2026-11-20T23:60:00Z", "2026-11-20T23:59:60Z",
                "2026-11-20T08:00:00.1Z", "2026-11-20T08:00:00.123456789Z", "2026-11-20T08:00:00.1234567890Z",
                "2026-11-20T08:00:00.Z", "2026-11-20T08:00:00+01:00", "2026-11-20T08:00:00", "2026-11-20 08:00:00Z",
                "+12026-11-20T08:00:00Z", "-0001-11-20T08:00:00Z", "2026-1a-20T08:00:00Z", "2026-11-20T08:00:00z",
                "2026-11-20T08:00:00ZZ", "", "Z", "2026-11-20T08:00:00.000000000Z", "9999-12-31T23:59:59.999999999Z")) {
            assertEquals(reference(s), fast(s), s);
        }
    }

    @Test
    void agreesWithInstantParseOnRandomInstantsAndMutations() {
        SplittableRandom random = new SplittableRandom(11);
        for (int i = 0; i < 50_000; i++) {
            Instant t = Instant.ofEpochSecond(random.nextLong(-62_000_000_000L, 253_402_300_799L), random.nextInt(4) == 0
                    ? random.nextInt(1_000_000_000) : 0);
            String s = t.toString();
            assertEquals(t, fast(s), s);
            char[] c = s.toCharArray();
            c[random.nextInt(c.length)] = "0123456789:-TZ.+x ".charAt(random.nextInt(18));
            String mutated = new String(c);
            assertEquals(reference(mutated), fast(mutated), mutated);
        }
    }

    @Test
    void onlyTheClientsFormTakesTheFastPath() {
        assertNotNull(WireTime.fast("2026-11-20T08:00:00Z"));
        assertNull(WireTime.fast("2026-11-20T08:00:00+00:00"));
        assertNull(WireTime.fast("2026-11-20T23:59:60Z"));
    }
}
