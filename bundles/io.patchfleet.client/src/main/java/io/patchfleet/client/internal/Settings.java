package io.patchfleet.client.internal;

import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.osgi.framework.FrameworkUtil;
import org.osgi.framework.InvalidSyntaxException;

/**
 * The client's configuration keys as operators of Canonical's client know them
 * ({@code patchfleet config key=value}), the configuration property each is stored as
 * (PID {@code io.patchfleet.client}, file {@code io.patchfleet.client.cfg}), and how a value is
 * checked. A value that does not check is refused with a message naming the key; nothing falls
 * back silently.
 */
final class Settings {
    private Settings() {}

    /** One key. */
    record Key(String name, String property, String help) {}

    static final List<Key> KEYS = List.of(
            new Key("remote-server", "remote.server", "base URL of the Patchfleet server, http(s)://host[:port]"),
            new Key("check-interval", "check.interval", "minutes between automatic checks; 0 = only 'patchfleet refresh'"),
            new Key("http-proxy", "http.proxy", "proxy for http:// servers, http://host:port; empty: $http_proxy"),
            new Key("https-proxy", "https.proxy", "proxy for https:// servers, http://host:port; empty: $https_proxy"),
            new Key("no-proxy", "no.proxy", "comma-separated hosts and .domains reached directly; empty: $no_proxy"),
            new Key("ca-certs", "ca.certs", "PEM file of extra CA certificates trusted besides the JDK's (or @stdin: the PEM text)"),
            new Key("dial-timeout", "dial.timeout", "connect timeout, such as 12s or 1m"),
            new Key("cutoff-date", "cutoff.date", "RFC 3339 time: apply only patches published before it"),
            new Key("patch-delay", "patch.delay", "apply a patch only this long after its publication, such as 24h or 7d"),
            new Key("log-level", "log.level", "error, warn, info, debug or trace"),
            new Key("kernel", "kernel.target", "which kernel applier: an OSGi filter, (kernel=linux) or (kernel=simulated)"));

    static Key key(String name) {
        for (Key k : KEYS) {
            if (k.name().equals(name) || k.property().equals(name)) {
                return k;
            }
        }
        throw new IllegalArgumentException("unknown configuration key '" + name + "'; known: "
                + KEYS.stream().map(Key::name).toList());
    }

    /**
     * Checks a value; an empty value clears the key (its default applies).
     *
     * @return the value to store, normalized
     * @throws IllegalArgumentException naming the key and what is expected
     */
    static String check(Key key, String value) {
        String v = value == null ? "" : value.trim();
        if (v.isEmpty()) {
            return "";
        }
        try {
            switch (key.name()) {
                case "remote-server" -> url(v, true);
                case "http-proxy", "https-proxy" -> url(v, false);
                case "check-interval" -> {
                    long minutes = Long.parseLong(v);
                    if (minutes < 0 || minutes > 7 * 24 * 60) {
                        throw new IllegalArgumentException("must be 0 (manual) to 10080 minutes");
                    }
                }
                case "no-proxy" -> {
                    for (String host : v.split(",")) {
                        if (!host.trim().matches("\\*|\\.?[A-Za-z0-9.:\\[\\]_-]+(/\\d+)?")) {
                            throw new IllegalArgumentException("'" + host.trim() + "' is not a host, .domain or *");
                        }
                    }
                }
                case "dial-timeout" -> {
                    Duration d = duration(v);
                    if (d.isZero() || d.compareTo(Duration.ofMinutes(10)) > 0) {
                        throw new IllegalArgumentException("must be more than 0 and at most 10m");
                    }
                }
                case "patch-delay" -> duration(v);
                case "cutoff-date" -> instant(v);
                case "log-level" -> {
                    v = v.toLowerCase(Locale.ROOT);
                    if (!List.of("error", "warn", "info", "debug", "trace").contains(v)) {
                        throw new IllegalArgumentException("must be error, warn, info, debug or trace");
                    }
                }
                case "kernel" -> FrameworkUtil.createFilter(v);
                case "ca-certs" -> { /* a file name; the daemon reads it and refuses what is not PEM */ }
                default -> throw new IllegalArgumentException("unknown key");
            }
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key.name() + ": '" + v + "' is not a whole number");
        } catch (InvalidSyntaxException e) {
            throw new IllegalArgumentException(key.name() + ": '" + v + "' is not an OSGi filter: " + e.getMessage());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(key.name() + ": " + e.getMessage(), e);
        }
        return v;
    }

    private static void url(String v, boolean server) {
        try {
            URI u = new URI(v);
            if (!"http".equals(u.getScheme()) && !"https".equals(u.getScheme()) || u.getHost() == null) {
                throw new IllegalArgumentException("'" + v + "' is not an http:// or https:// URL with a host");
            }
            if (server && u.getRawQuery() != null) {
                throw new IllegalArgumentException("'" + v + "' must not have a query");
            }
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("'" + v + "' is not a URL: " + e.getReason());
        }
    }

    private static final Pattern DURATION_PART = Pattern.compile("(\\d+)(ms|s|m|h|d)");

    /**
     * A duration as Canonical's client writes them ({@code 12s}, {@code 1h30m}, {@code 7d}); a
     * bare number is seconds.
     */
    static Duration duration(String v) {
        String s = v.trim();
        if (s.matches("\\d+")) {
            return Duration.ofSeconds(Long.parseLong(s));
        }
        Matcher m = DURATION_PART.matcher(s);
        Duration total = Duration.ZERO;
        int end = 0;
        while (m.find() && m.start() == end) {
            long n = Long.parseLong(m.group(1));
            total = total.plus(switch (m.group(2)) {
                case "ms" -> Duration.ofMillis(n);
                case "s" -> Duration.ofSeconds(n);
                case "m" -> Duration.ofMinutes(n);
                case "h" -> Duration.ofHours(n);
                default -> Duration.ofDays(n);
            });
            end = m.end();
        }
        if (end != s.length() || s.isEmpty()) {
            throw new IllegalArgumentException("'" + v + "' is not a duration such as 90s, 12h or 7d");
        }
        return total;
    }

    /** An RFC 3339 time, or a date (midnight UTC). */
    static Instant instant(String v) {
        try {
            if (v.matches("\\d{4}-\\d{2}-\\d{2}")) {
                return Instant.parse(v + "T00:00:00Z");
            }
            return OffsetDateTime.parse(v).toInstant();
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException("'" + v + "' is not an RFC 3339 time such as 2026-01-31T00:00:00Z");
        }
    }

    /** Checks every pair; returns them by property name, in order. */
    static Map<String, String> checkAll(Map<String, String> pairs) {
        Map<String, String> out = new LinkedHashMap<>();
        pairs.forEach((k, v) -> {
            Key key = key(k);
            out.put(key.property(), check(key, v));
        });
        return out;
    }
}
