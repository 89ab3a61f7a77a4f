package io.patchfleet.rollout.policies.internal;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Durations in configuration: {@code 90s}, {@code 15m}, {@code 4h}, {@code 7d}, {@code 2w},
 * combined ({@code 1d12h}), or ISO-8601 ({@code PT4H}). No unit is an error, not seconds: a
 * silent unit guess is how a 24-hour delay becomes 24 seconds.
 */
final class Durations {
    private static final Pattern PART = Pattern.compile("(\\d{1,9})([smhdw])");

    private Durations() {}

    static Duration parse(String text, String key) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException(key + " is required (such as 30m, 4h, 7d)");
        }
        String s = text.strip();
        if (s.startsWith("P") || s.startsWith("p")) {
            try {
                return check(Duration.parse(s), key, text);
            } catch (DateTimeParseException e) {
                throw new IllegalArgumentException(key + ": \"" + text + "\" is not a duration (such as 30m, 4h, 7d, PT4H)");
            }
        }
        Matcher m = PART.matcher(s);
        Duration total = Duration.ZERO;
        int end = 0;
        while (m.find() && m.start() == end) {
            long n = Long.parseLong(m.group(1));
            total = total.plus(switch (m.group(2)) {
                case "s" -> Duration.ofSeconds(n);
                case "m" -> Duration.ofMinutes(n);
                case "h" -> Duration.ofHours(n);
                case "d" -> Duration.ofDays(n);
                default -> Duration.ofDays(7 * n);
            });
            end = m.end();
        }
        if (end == 0 || end != s.length()) {
            throw new IllegalArgumentException(key + ": \"" + text + "\" is not a duration (such as 30m, 4h, 7d, 1d12h)");
        }
        return check(total, key, text);
    }

    private static Duration check(Duration d, String key, String text) {
        if (d.isNegative()) {
            throw new IllegalArgumentException(key + " must not be negative: " + text);
        }
        return d;
    }

    /** A short human form: 90s, 15m, 4h, 1d 12h. */
    static String format(Duration d) {
        long s = d.getSeconds();
        if (s % 86400 == 0 && s > 0) {
            return s / 86400 + "d";
        }
        if (s % 3600 == 0 && s > 0) {
            return s / 3600 + "h";
        }
        if (s % 60 == 0 && s > 0) {
            return s / 60 + "m";
        }
        return s + "s";
    }
}
