package io.patchfleet.rollout.policies.internal;

import static io.patchfleet.rollout.policies.internal.Fixtures.ctx;
import static io.patchfleet.rollout.policies.internal.Fixtures.machine;
import static io.patchfleet.rollout.policies.internal.Fixtures.release;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.HashSet;
import java.util.Set;

import org.junit.jupiter.api.Test;

import io.patchfleet.model.PatchRelease;
import io.patchfleet.rollout.api.Decision;

class WindowPolicyTest {
    static final PatchRelease V1 = release(1);

    static WindowPolicy window(String cron, String duration, String zone, boolean spread, String... tags) {
        WindowPolicy.Settings s = WindowPolicy.settings("", cron, duration, zone, tags, spread);
        assertEquals(null, s.error());
        return new WindowPolicy(s);
    }

    static Decision at(WindowPolicy p, String time) {
        return p.decide(ctx().candidate(V1).at(Instant.parse(time)).build());
    }

    @Test
    void windowEdgesInUtc() {
        WindowPolicy p = window("0 2 * * *", "4h", "UTC", false);
        Decision.Hold before = assertInstanceOf(Decision.Hold.class, at(p, "2026-11-26T01:59:59Z"));
        assertEquals("maintenance window opens 2026-11-26 02:00 UTC", before.reason());
        assertEquals(Instant.parse("2026-11-26T02:00:00Z"), before.notBefore());
        assertInstanceOf(Decision.Offer.class, at(p, "2026-11-26T02:00:00Z"), "opens on the minute");
        assertInstanceOf(Decision.Offer.class, at(p, "2026-11-26T05:59:59Z"));
        Decision.Hold after = assertInstanceOf(Decision.Hold.class, at(p, "2026-11-26T06:00:00Z"), "closed at 02:00 + 4h");
        assertEquals(Instant.parse("2026-11-27T02:00:00Z"), after.notBefore());
    }

    @Test
    void timeZonesAndDaylightSavingTime() {
        WindowPolicy berlin = window("30 2 * * *", "1h", "Europe/Berlin", false);
        // Winter: 02:30 CET is 01:30 UTC.
        assertEquals(Instant.parse("2026-11-26T01:30:00Z"),
                ((Decision.Hold) at(berlin, "2026-11-26T00:00:00Z")).notBefore());
        // 2026-03-29: clocks jump from 02:00 to 03:00; 02:30 does not exist and starts at 03:30 CEST = 01:30 UTC.
        Decision.Hold spring = (Decision.Hold) at(berlin, "2026-03-29T00:00:00Z");
        assertEquals(Instant.parse("2026-03-29T01:30:00Z"), spring.notBefore());
        assertEquals("maintenance window opens 2026-03-29 03:30 CEST", spring.reason());
        // 2026-10-25: 02:30 happens twice; the window starts the first time (CEST, 00:30 UTC).
        assertEquals(Instant.parse("2026-10-25T00:30:00Z"), ((Decision.Hold) at(berlin, "2026-10-24T23:00:00Z")).notBefore());
        assertInstanceOf(Decision.Offer.class, at(berlin, "2026-10-25T01:29:00Z"), "open for the hour after the first 02:30");
        assertInstanceOf(Decision.Hold.class, at(berlin, "2026-10-25T01:31:00Z"), "the second 02:30 opens nothing");

        WindowPolicy tokyo = window("0 3 * * SAT", "2h", "Asia/Tokyo", false);
        // Saturday 03:00 JST is Friday 18:00 UTC.
        assertInstanceOf(Decision.Offer.class, at(tokyo, "2026-11-27T18:30:00Z"));
        assertEquals(Instant.parse("2026-12-04T18:00:00Z"), ((Decision.Hold) at(tokyo, "2026-11-27T20:00:00Z")).notBefore());
    }

    @Test
    void startTimesAreSpreadOverTheFirstHalfOfTheWindow() {
        WindowPolicy p = window("0 2 * * *", "4h", "UTC", true);
        Instant opens = Instant.parse("2026-11-26T02:00:00Z");
        Set<Instant> starts = new HashSet<>();
        for (int i = 0; i < 200; i++) {
            Decision d = p.decide(ctx().machine(machine(i)).candidate(V1).at(opens.minusSeconds(1)).build());
            Instant mine = ((Decision.Hold) d).notBefore();
            assertTrue(!mine.isBefore(opens) && mine.isBefore(opens.plus(Duration.ofHours(2))), mine.toString());
            starts.add(mine);
            Decision early = p.decide(ctx().machine(machine(i)).candidate(V1).at(opens).build());
            if (!mine.equals(opens)) {
                assertEquals(mine, assertInstanceOf(Decision.Hold.class, early).notBefore(), "inside the window, before its start");
            }
            assertInstanceOf(Decision.Offer.class, p.decide(ctx().machine(machine(i)).candidate(V1).at(mine).build()));
        }
        assertTrue(starts.size() > 190, "starts differ per machine: " + starts.size());
    }

    @Test
    void onlyMachinesWithTheTagAndOnlyWhenThereIsSomethingNew() {
        WindowPolicy p = window("0 2 * * *", "1h", "UTC", false, "role:db");
        Instant closed = Instant.parse("2026-11-26T12:00:00Z");
        assertInstanceOf(Decision.Hold.class, p.decide(ctx().machine(machine(1, "role:db")).candidate(V1).at(closed).build()));
        assertInstanceOf(Decision.Offer.class, p.decide(ctx().machine(machine(1, "role:web")).candidate(V1).at(closed).build()));
        assertInstanceOf(Decision.Offer.class,
                p.decide(ctx().machine(machine(1, "role:db")).running(1).candidate(V1).at(closed).build()),
                "nothing new to apply: not held");
    }

    @Test
    void cronParsing() {
        Cron c = Cron.parse("*/15 9-17 * * MON-FRI");
        ZoneId utc = ZoneId.of("UTC");
        assertEquals(Instant.parse("2026-11-30T09:00:00Z"), c.next(Instant.parse("2026-11-27T17:45:00Z"), utc).orElseThrow(),
                "Friday 17:45 → Monday 09:00");
        Cron either = Cron.parse("0 0 1 * SUN");
        assertEquals(Instant.parse("2026-11-29T00:00:00Z"), either.next(Instant.parse("2026-11-26T00:00:00Z"), utc).orElseThrow(),
                "day-of-month or day-of-week, as in crontab");
        assertEquals(Instant.parse("2028-02-29T04:00:00Z"), Cron.parse("0 4 29 2 *").next(Instant.parse("2026-03-01T00:00:00Z"), utc)
                .orElseThrow());
        for (String bad : new String[] {"", "0 2 * *", "60 2 * * *", "0 24 * * *", "0 2 31 2 *", "0 2 * * FUN", "5-1 * * * *", "*/0 * * * *"}) {
            assertThrows(IllegalArgumentException.class, () -> Cron.parse(bad), bad);
        }
        assertNotNull(WindowPolicy.settings("w", "0 2 * * *", "4h", "Mars/Olympus", new String[0], true).error());
        assertNotNull(WindowPolicy.settings("w", "0 2 * * *", "8d", "UTC", new String[0], true).error());
        assertNotEquals(null, WindowPolicy.settings("w", "nonsense", "4h", "UTC", new String[0], true).error());
        Decision d = new WindowPolicy(WindowPolicy.settings("w", "nonsense", "4h", "UTC", new String[0], true))
                .decide(ctx().candidate(V1).build());
        assertTrue(assertInstanceOf(Decision.Hold.class, d).reason().startsWith("rollout policy w is misconfigured: cron"));
    }
}
