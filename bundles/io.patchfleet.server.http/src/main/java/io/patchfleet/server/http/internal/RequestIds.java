package io.patchfleet.server.http.internal;

import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Pattern;

/**
 * Request ids: every response carries {@code X-Request-Id}, the caller's own when it sent a
 * sane one (so a proxy's id travels through), otherwise a new random one; error bodies and the
 * log lines of failed requests name it, so an operator can match a user's error to the log.
 */
final class RequestIds {
    static final String HEADER = "X-Request-Id";
    private static final Pattern SANE = Pattern.compile("[A-Za-z0-9._-]{8,64}");

    private RequestIds() {}

    static String of(String offered) {
        if (offered != null && SANE.matcher(offered).matches()) {
            return offered;
        }
        byte[] random = new byte[8];
        ThreadLocalRandom.current().nextBytes(random);
        return HexFormat.of().formatHex(random);
    }
}
