package io.patchfleet.rollout.policies.internal;

import java.time.DayOfWeek;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.BitSet;
import java.util.Locale;
import java.util.Optional;

/**
 * A five-field cron expression (minute hour day-of-month month day-of-week), the crontab(5)
 * dialect: {@code *}, numbers, ranges {@code a-b}, steps {@code * /n} and {@code a-b/n}, lists
 * {@code a,b}; months {@code JAN}–{@code DEC}, days {@code SUN}–{@code SAT} (0 or 7 is Sunday).
 * As in crontab, when both day fields are restricted a day matching either one matches.
 *
 * <p>Times are local to a zone. A start time that does not exist that day (the hour skipped when
 * daylight saving time begins) starts when the clock jumps, that many minutes after the gap:
 * 02:30 on a day that skips 02:00–03:00 starts at 03:30 (what {@link ZonedDateTime#ofLocal}
 * does). A start time that happens twice (the hour repeated when it ends) starts the first time.
 *
 * <p>Hand-written rather than a library: the cron libraries on Maven Central pull dependencies
 * into the server for 150 lines of parsing, and none of them is needed for anything else.
 */
final class Cron {
    private static final String[] MONTHS = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
    private static final String[] DAYS = {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"};
    /** Far enough to find any valid expression's next time (Feb 29 on a given weekday repeats within 28 years). */
    private static final int MAX_DAYS = 366 * 29;

    private final String text;
    private final BitSet minutes;
    private final BitSet hours;
    private final BitSet daysOfMonth;
    private final BitSet months;
    private final BitSet daysOfWeek;
    private final boolean domRestricted;
    private final boolean dowRestricted;

    private Cron(String text, BitSet minutes, BitSet hours, BitSet dom, BitSet months, BitSet dow, boolean domR, boolean dowR) {
        this.text = text;
        this.minutes = minutes;
        this.hours = hours;
        this.daysOfMonth = dom;
        this.months = months;
        this.daysOfWeek = dow;
        this.domRestricted = domR;
        this.dowRestricted = dowR;
    }

    static Cron parse(String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("cron is required (such as \"0 2 * * *\": 02:00 every day)");
        }
        String[] f = text.strip().split("\\s+");
        if (f.length != 5) {
            throw new IllegalArgumentException("cron \"" + text + "\" must have 5 fields: minute hour day-of-month month day-of-week");
        }
        BitSet dow = field(f[4], 0, 7, DAYS, "day-of-week");
        if (dow.get(7)) {
            dow.set(0);
            dow.clear(7);
        }
        Cron c = new Cron(text.strip(), field(f[0], 0, 59, null, "minute"), field(f[1], 0, 23, null, "hour"),
                field(f[2], 1, 31, null, "day-of-month"), field(f[3], 1, 12, MONTHS, "month"), dow,
                !f[2].equals("*"), !f[4].equals("*"));
        if (c.next(Instant.parse("2000-01-01T00:00:00Z"), java.time.ZoneOffset.UTC).isEmpty()) {
            throw new IllegalArgumentException("cron \"" + text + "\" never matches a date");
        }
        return c;
    }

    private static BitSet field(String spec, int min, int max, String[] names, String what) {
        BitSet bits = new BitSet(max + 1);
        for (String part : spec.split(",")) {
            String range = part;
            int step = 1;
            int slash = part.indexOf('/');
            if (slash >= 0) {
                range = part.substring(0, slash);
                step = number(part.substring(slash + 1), 1, max, null, what, min);
                if (step < 1) {
                    throw new IllegalArgumentException("cron " + what + ": step must be at least 1 in \"" + part + "\"");
                }
            }
            int lo;
            int hi;
            if (range.equals("*")) {
                lo = min;
                hi = max;
            } else if (range.indexOf('-') > 0) {
                int dash = range.indexOf('-');
                lo = number(range.substring(0, dash), min, max, names, what, min);
                hi = number(range.substring(dash + 1), min, max, names, what, min);
                if (hi < lo) {
                    throw new IllegalArgumentException("cron " + what + ": range \"" + range + "\" runs backwards");
                }
            } else {
                lo = number(range, min, max, names, what, min);
                hi = slash >= 0 ? max : lo;
            }
            for (int i = lo; i <= hi; i += step) {
                bits.set(i);
            }
        }
        return bits;
    }

    private static int number(String s, int min, int max, String[] names, String what, int base) {
        if (names != null) {
            for (int i = 0; i < names.length; i++) {
                if (names[i].equals(s.toUpperCase(Locale.ROOT))) {
                    return i + (names == MONTHS ? 1 : 0);
                }
            }
        }
        try {
            int n = Integer.parseInt(s);
            if (n < min || n > max) {
                throw new IllegalArgumentException("cron " + what + ": " + n + " is outside " + min + "-" + max);
            }
            return n;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("cron " + what + ": \"" + s + "\" is not a number or name");
        }
    }

    private boolean dayMatches(LocalDate d) {
        if (!months.get(d.getMonthValue())) {
            return false;
        }
        boolean dom = daysOfMonth.get(d.getDayOfMonth());
        boolean dow = daysOfWeek.get(d.getDayOfWeek() == DayOfWeek.SUNDAY ? 0 : d.getDayOfWeek().getValue());
        if (domRestricted && dowRestricted) {
            return dom || dow;
        }
        return dom && dow;
    }

    /** The first start strictly after {@code after}. */
    Optional<Instant> next(Instant after, ZoneId zone) {
        LocalDate day = after.atZone(zone).toLocalDate().minusDays(1); // a gap may move yesterday's late start
        for (int i = 0; i < MAX_DAYS; i++, day = day.plusDays(1)) {
            if (!dayMatches(day)) {
                continue;
            }
            for (int h = hours.nextSetBit(0); h >= 0; h = hours.nextSetBit(h + 1)) {
                for (int m = minutes.nextSetBit(0); m >= 0; m = minutes.nextSetBit(m + 1)) {
                    Instant t = ZonedDateTime.ofLocal(day.atTime(LocalTime.of(h, m)), zone, null).toInstant();
                    if (t.isAfter(after)) {
                        return Optional.of(t);
                    }
                }
            }
        }
        return Optional.empty();
    }

    /** The last start at or before {@code at}, looking back at most {@code days} days. */
    Optional<Instant> previous(Instant at, ZoneId zone, int days) {
        LocalDate day = at.atZone(zone).toLocalDate().plusDays(1);
        for (int i = 0; i <= days + 1; i++, day = day.minusDays(1)) {
            if (!dayMatches(day)) {
                continue;
            }
            for (int h = hours.previousSetBit(23); h >= 0; h = hours.previousSetBit(h - 1)) {
                for (int m = minutes.previousSetBit(59); m >= 0; m = minutes.previousSetBit(m - 1)) {
                    Instant t = ZonedDateTime.ofLocal(day.atTime(LocalTime.of(h, m)), zone, null).toInstant();
                    if (!t.isAfter(at)) {
                        return Optional.of(t);
                    }
                }
            }
        }
        return Optional.empty();
    }

    @Override
    public String toString() {
        return text;
    }
}
