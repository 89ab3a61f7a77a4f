package io.patchfleet.store.api;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.patchfleet.model.Sha256;
import org.junit.jupiter.api.Test;

class StoreValuesTest {

    @Test
    void onlyUnavailableIsRetryable() {
        for (StoreException.Reason r : StoreException.Reason.values()) {
            boolean retryable = new StoreException(r, "x").isRetryable();
            if (r == StoreException.Reason.UNAVAILABLE) {
                assertTrue(retryable);
            } else {
                assertFalse(retryable, r.name());
            }
        }
    }

    @Test
    void blobInfoRejectsNegativeLength() {
        Sha256 sha = Sha256.digestOf(new byte[0]);
        assertThrows(IllegalArgumentException.class, () -> new BlobInfo(sha, -1));
        assertThrows(NullPointerException.class, () -> new BlobInfo(null, 0));
        assertThrows(NullPointerException.class, () -> new StoreException(null, "x"));
    }
}
