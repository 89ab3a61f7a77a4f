package io.patchfleet.trust.tuf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.patchfleet.trust.api.MalformedMetadataException;
import io.patchfleet.trust.api.TrustKey;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TufKeysTest {

    @Test
    void aKeyObjectGivesTheKeyWithTheIdMetadataUses() throws Exception {
        for (LocalSigningKey.Type type : LocalSigningKey.Type.values()) {
            TrustKey key = LocalSigningKey.generate(type).publicKey();
            assertEquals(key, TufKeys.fromKeyObject(TufKeys.toKeyObject(key)));
        }
    }

    @Test
    void malformedKeyObjectsAreRefused() {
        assertThrows(MalformedMetadataException.class, () -> TufKeys.fromKeyObject(Map.of("keytype", "ed25519")));
        assertThrows(MalformedMetadataException.class, () -> TufKeys.fromKeyObject(
                Map.of("keytype", "ed25519", "scheme", "ed25519", "keyval", Map.of("public", "zz\u0001"))));
        assertThrows(MalformedMetadataException.class, () -> TufKeys.fromKeyObject(null));
    }
}
