package io.patchfleet.server.admin.internal;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Admin session tokens, kept in memory as SHA-256(token) → (user, role, expiry). Thread-safe.
 *
 * <p>Why memory and not the database: every admin request checks its token, and a map lookup
 * costs nothing; admin sessions are few; revoking all sessions of a user (role change, password
 * reset, deletion) is immediate. The price: a restart logs every admin out (they log in again),
 * and with several server nodes behind a load balancer an admin needs sticky sessions. Only the
 * hash is kept, so a heap dump does not hand out usable tokens.
 */
final class Sessions {
    /** One session. */
    record Session(String user, String role, Instant expiresAt) {}

    /** A new token, shown once. */
    record Issued(String token, Session session) {}

    private final Map<String, Session> byHash = new ConcurrentHashMap<>();
    private final SecureRandom random = new SecureRandom();
    private final Clock clock;

    Sessions(Clock clock) {
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /** Issues a token of 32 random bytes (base64url) valid for {@code lifetime}. */
    Issued issue(String user, String role, Duration lifetime) {
        Instant now = clock.instant();
        byHash.values().removeIf(s -> !now.isBefore(s.expiresAt()));
        byte[] bytes = new byte[32];
        random.nextBytes(bytes);
        String token = Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
        Session session = new Session(user, role, now.plus(lifetime));
        byHash.put(hash(token), session);
        return new Issued(token, session);
    }

    /** The live session of a token; empty when unknown, revoked or expired. */
    Optional<Session> find(String token) {
        String key = hash(token);
        Session s = byHash.get(key);
        if (s == null) {
            return Optional.empty();
        }
        if (!clock.instant().isBefore(s.expiresAt())) {
            byHash.remove(key, s);
            return Optional.empty();
        }
        return Optional.of(s);
    }

    /** Ends one session; true if it was live. */
    boolean revoke(String token) {
        return byHash.remove(hash(token)) != null;
    }

    /** Ends every session of a user; returns how many. */
    int revokeUser(String user) {
        int before = byHash.size();
        byHash.values().removeIf(s -> s.user().equals(user));
        return Math.max(0, before - byHash.size());
    }

    int size() {
        return byHash.size();
    }

    static String hash(String token) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }
}
