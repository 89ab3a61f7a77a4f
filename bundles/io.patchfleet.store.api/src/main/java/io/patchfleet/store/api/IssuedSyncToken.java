package io.patchfleet.store.api;

import java.util.Objects;

/**
 * A newly created sync token with its secret, shown to the admin once and never stored.
 *
 * @param token the stored token; never {@code null}
 * @param secret what the downstream server is configured with; never {@code null}
 */
public record IssuedSyncToken(SyncToken token, String secret) {
    public IssuedSyncToken {
        Objects.requireNonNull(token, "token");
        Objects.requireNonNull(secret, "secret");
    }

    @Override
    public String toString() {
        return "IssuedSyncToken[" + token + ", secret=<hidden>]";
    }
}
