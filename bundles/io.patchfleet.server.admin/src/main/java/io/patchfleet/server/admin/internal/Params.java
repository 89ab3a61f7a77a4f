package io.patchfleet.server.admin.internal;

import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.patchfleet.server.api.ApiException;
import io.patchfleet.server.api.ApiRequest;

/** Parsing of query parameters and body fields with 400s that name the field. */
final class Params {
    static final int DEFAULT_LIMIT = 100;
    static final int MAX_LIMIT = 1000;
    private static final Pattern DURATION = Pattern.compile("(\\d{1,9})([smhd])");

    private Params() {}

    static Optional<String> query(ApiRequest r, String name) {
        return r.queryParameter(name).map(String::strip).filter(s -> !s.isEmpty());
    }

    static int limit(ApiRequest r) throws ApiException {
        OptionalLong v = number(r, "limit");
        long limit = v.orElse(DEFAULT_LIMIT);
        if (limit < 1 || limit > MAX_LIMIT) {
            throw ApiException.badRequest("invalid-parameter", "limit must be in 1.." + MAX_LIMIT);
        }
        return (int) limit;
    }

    static int offset(ApiRequest r) throws ApiException {
        long offset = number(r, "offset").orElse(0);
        if (offset < 0 || offset > Integer.MAX_VALUE) {
            throw ApiException.badRequest("invalid-parameter", "offset must not be negative");
        }
        return (int) offset;
    }

    static OptionalLong number(ApiRequest r, String name) throws ApiException {
        Optional<String> v = query(r, name);
        if (v.isEmpty()) {
            return OptionalLong.empty();
        }
        try {
            return OptionalLong.of(Long.parseLong(v.get()));
        } catch (NumberFormatException e) {
            throw ApiException.badRequest("invalid-parameter", name + " must be a whole number");
        }
    }

    /** An RFC 3339 instant ({@code 2026-03-01T10:00:00Z}) or a duration ago ({@code 30m}, {@code 2h}, {@code 7d}). */
    static Optional<Instant> instant(ApiRequest r, String name, Instant now) throws ApiException {
        Optional<String> v = query(r, name);
        if (v.isEmpty()) {
            return Optional.empty();
        }
        Matcher m = DURATION.matcher(v.get());
        if (m.matches()) {
            return Optional.of(now.minus(duration(v.get(), name)));
        }
        try {
            return Optional.of(Instant.parse(v.get()));
        } catch (DateTimeParseException e) {
            throw ApiException.badRequest("invalid-parameter", name + " must be a time like 2026-03-01T10:00:00Z or an age like 30m, 2h, 7d");
        }
    }

    /** {@code 90s}, {@code 30m}, {@code 24h}, {@code 7d}, or ISO-8601 {@code PT24H}. */
    static Duration duration(String value, String field) throws ApiException {
        Matcher m = DURATION.matcher(value == null ? "" : value.strip());
        if (m.matches()) {
            long n = Long.parseLong(m.group(1));
            return switch (m.group(2)) {
                case "s" -> Duration.ofSeconds(n);
                case "m" -> Duration.ofMinutes(n);
                case "h" -> Duration.ofHours(n);
                default -> Duration.ofDays(n);
            };
        }
        try {
            return Duration.parse(value);
        } catch (DateTimeParseException | NullPointerException e) {
            throw ApiException.badRequest("invalid-argument", field + " must be a duration like 90s, 30m, 24h, 7d");
        }
    }

    static <T> T required(T value, String field) throws ApiException {
        if (value == null || value instanceof String s && s.isBlank()) {
            throw ApiException.badRequest("missing-field", "The body needs the field \"" + field + "\"");
        }
        return value;
    }

    static String path(ApiRequest r, String name) throws ApiException {
        return r.pathParameter(name).orElseThrow(() -> ApiException.badRequest("missing-parameter", "missing " + name));
    }
}
