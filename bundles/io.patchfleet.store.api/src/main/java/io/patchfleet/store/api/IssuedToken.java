package io.patchfleet.store.api;

import java.util.Objects;

/**
 * A newly created enrollment token with its secret. The secret is shown to the admin once and
 * never stored; losing it means creating another token.
 *
 * @param token the stored token; never {@code null}
 * @param secret what {@code patchfleet enable} is given; never {@code null}
 */
public record IssuedToken(EnrollmentToken token, String secret) {
    public IssuedToken {
        Objects.requireNonNull(token, "token");
        Objects.requireNonNull(secret, "secret");
    }

    @Override
    public String toString() {
        return "IssuedToken[" + token + ", secret=<hidden>]";
    }
}
