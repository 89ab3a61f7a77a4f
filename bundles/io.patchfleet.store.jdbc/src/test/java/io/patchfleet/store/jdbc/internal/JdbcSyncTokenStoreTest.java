package io.patchfleet.store.jdbc.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.patchfleet.model.TierName;
import io.patchfleet.store.api.IssuedSyncToken;
import io.patchfleet.store.api.StoreException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JdbcSyncTokenStoreTest {
    @TempDir
    Path dir;
    TestClock clock;
    Database db;
    JdbcSyncTokenStore tokens;

    @BeforeEach
    void open() throws Exception {
        clock = new TestClock(Fixtures.T0);
        db = Fixtures.open(dir, clock);
        new JdbcTierStore(db).define(List.of(TierName.of("edge"), TierName.of("stable")));
        tokens = new JdbcSyncTokenStore(db);
    }

    @AfterEach
    void close() {
        db.close();
    }

    @Test
    void aTokenAuthenticatesUntilItExpiresOrIsRevoked() throws Exception {
        IssuedSyncToken a = tokens.create("dc-east", TierName.of("stable"), Fixtures.T0.plus(Duration.ofDays(1)), "admin");
        IssuedSyncToken b = tokens.create("dc-west", TierName.of("edge"), Fixtures.T0.plus(Duration.ofHours(1)), "admin");
        assertEquals("dc-east", tokens.authenticate(a.secret()).orElseThrow().name());
        assertEquals(TierName.of("stable"), tokens.authenticate(a.secret()).orElseThrow().tier());
        assertTrue(tokens.authenticate("not-a-secret").isEmpty());
        assertNotNull(tokens.find(a.token().id()).orElseThrow().lastUsedAt(), "use recorded");

        assertTrue(tokens.revoke(a.token().id()));
        assertFalse(tokens.revoke(a.token().id()));
        assertTrue(tokens.authenticate(a.secret()).isEmpty(), "revoked");

        clock.advance(Duration.ofHours(1));
        assertTrue(tokens.authenticate(b.secret()).isEmpty(), "expired");
        assertEquals(2, tokens.tokens().size());
    }

    @Test
    void badInputIsRefusedAndNothingIsWritten() throws Exception {
        assertThrows(IllegalArgumentException.class,
                () -> tokens.create("bad name", TierName.of("edge"), Fixtures.T0.plusSeconds(60), "admin"));
        assertThrows(IllegalArgumentException.class,
                () -> tokens.create("ok", TierName.of("edge"), Fixtures.T0.minusSeconds(1), "admin"));
        StoreException noTier = assertThrows(StoreException.class,
                () -> tokens.create("ok", TierName.of("beta"), Fixtures.T0.plusSeconds(60), "admin"));
        assertEquals(StoreException.Reason.NOT_FOUND, noTier.reason());
        tokens.create("ok", TierName.of("edge"), Fixtures.T0.plusSeconds(60), "admin");
        StoreException dup = assertThrows(StoreException.class,
                () -> tokens.create("ok", TierName.of("edge"), Fixtures.T0.plusSeconds(60), "admin"));
        assertEquals(StoreException.Reason.CONFLICT, dup.reason());
        assertEquals(1, tokens.tokens().size());
        assertThrows(StoreException.class, () -> tokens.revoke("ffff"));
    }
}
