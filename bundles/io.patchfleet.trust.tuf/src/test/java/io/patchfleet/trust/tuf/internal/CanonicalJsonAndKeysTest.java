package io.patchfleet.trust.tuf.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.patchfleet.trust.api.MalformedMetadataException;
import io.patchfleet.trust.api.TrustException.Reason;
import io.patchfleet.trust.api.TrustKey;
import io.patchfleet.trust.tuf.LocalSigningKey;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CanonicalJsonAndKeysTest {

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void canonicalFormSortsKeysEscapesOnlyQuoteAndBackslash() throws Exception {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("b", List.of(1L, true, Json.NULL));
        m.put("a", "x\"y\\z\n\u00e9");
        m.put("\uD83D\uDE00", 0L); // sorts after U+FFFF-range? code point order, not UTF-16
        m.put("\uFFFD", -5L);
        assertEquals("{\"a\":\"x\\\"y\\\\z\n\u00e9\",\"b\":[1,true,null],\"\uFFFD\":-5,\"\uD83D\uDE00\":0}",
                new String(CanonicalJson.encode(m), StandardCharsets.UTF_8));
        // files escape control characters; parsing a file gives back the canonical form
        Map<String, Object> sorted = new LinkedHashMap<>();
        sorted.put("a", m.get("a"));
        sorted.put("b", m.get("b"));
        sorted.put("\uFFFD", m.get("\uFFFD"));
        sorted.put("\uD83D\uDE00", m.get("\uD83D\uDE00"));
        assertArrayEquals(CanonicalJson.encode(m), CanonicalJson.encode(sorted), "keys already in order: the same bytes");
        Map<String, Object> reversed = new LinkedHashMap<>();
        List<String> backwards = new java.util.ArrayList<>(sorted.keySet());
        java.util.Collections.reverse(backwards);
        backwards.forEach(k -> reversed.put(k, sorted.get(k)));
        assertArrayEquals(CanonicalJson.encode(m), CanonicalJson.encode(reversed), "keys in reverse: sorted");
        byte[] file = CanonicalJson.encodeFile(m);
        assertTrue(new String(file, StandardCharsets.UTF_8).contains("z\\u000a"));
        assertArrayEquals(CanonicalJson.encode(m), CanonicalJson.encode(Json.parseObject(file, "t", 1000)));
    }

    @Test
    void strictParserRejectsWhatCanonicalJsonCannotHold() {
        Map<String, String> bad = new LinkedHashMap<>();
        bad.put("{\"a\":1,\"a\":2}", "duplicate key");
        bad.put("{\"a\":1.5}", "floating point");
        bad.put("{\"a\":1e3}", "floating point");
        bad.put("{\"a\":99999999999999999999}", "out of range");
        bad.put("{\"a\":1} x", "invalid JSON");
        bad.put("{\"a\":1}{}", "trailing data");
        bad.put("[1]", "must be a JSON object");
        bad.put("{\"a\":\"\\ud800\"}", "unpaired surrogate");
        bad.put("{\"a\":[1,2}", "invalid JSON");
        bad.put("{\"a\":NaN}", "invalid JSON");
        bad.put("{'a':1}", "invalid JSON");
        bad.put("{\"a\":" + "[".repeat(40) + "]".repeat(40) + "}", "nest");
        for (Map.Entry<String, String> e : bad.entrySet()) {
            MalformedMetadataException x = assertThrows(MalformedMetadataException.class,
                    () -> Json.parseObject(utf8(e.getKey()), "t.json", 10_000), e.getKey());
            assertTrue(x.getMessage().contains(e.getValue()) || x.getMessage().contains("invalid JSON"),
                    e.getKey() + " -> " + x.getMessage());
            assertEquals(Reason.MALFORMED, x.reason());
        }
        // overlong UTF-8 for '/' and a raw invalid byte
        assertThrows(MalformedMetadataException.class,
                () -> Json.parseObject(new byte[] {'{', '"', (byte) 0xc0, (byte) 0xaf, '"', ':', '1', '}'}, "t", 100));
        MalformedMetadataException big = assertThrows(MalformedMetadataException.class,
                () -> Json.parseObject(utf8("{\"a\":\"" + "x".repeat(100) + "\"}"), "t.json", 50));
        assertEquals(Reason.TOO_LARGE, big.reason());
    }

    @Test
    void keyIdIsTheHashOfTheCanonicalKeyObject() {
        LocalSigningKey k = LocalSigningKey.generate(LocalSigningKey.Type.ED25519);
        TrustKey pub = k.publicKey();
        String canonical = "{\"keytype\":\"ed25519\",\"keyval\":{\"public\":\"" + pub.publicKey()
                + "\"},\"scheme\":\"ed25519\"}";
        assertEquals(io.patchfleet.model.Sha256.digestOf(utf8(canonical)).hex(), pub.id().hex());
        assertEquals(64, pub.publicKey().length());
    }

    @Test
    void ed25519AndEcdsaSignaturesVerifyOnlyUnchangedWithTheRightKey() throws Exception {
        for (LocalSigningKey.Type type : LocalSigningKey.Type.values()) {
            LocalSigningKey k = LocalSigningKey.generate(type);
            LocalSigningKey other = LocalSigningKey.generate(type);
            byte[] msg = utf8("{\"a\":1}");
            byte[] sig = k.sign(msg);
            assertTrue(Keys.verify(k.publicKey(), msg, sig), type.name());
            assertFalse(Keys.verify(other.publicKey(), msg, sig), type + " wrong key");
            assertFalse(Keys.verify(k.publicKey(), utf8("{\"a\":2}"), sig), type + " changed message");
            sig[sig.length / 2] ^= 1;
            assertFalse(Keys.verify(k.publicKey(), msg, sig), type + " changed signature");
        }
        LocalSigningKey ec = LocalSigningKey.generate(LocalSigningKey.Type.ECDSA_P256);
        assertTrue(ec.publicKey().publicKey().startsWith("-----BEGIN PUBLIC KEY-----\n"));
        assertEquals("ecdsa", ec.publicKey().keyType());
        assertEquals("ecdsa-sha2-nistp256", ec.publicKey().scheme());
    }

    @Test
    void rootKeyListedUnderAnotherIdIsRejected() throws Exception {
        LocalSigningKey k = LocalSigningKey.generate(LocalSigningKey.Type.ED25519);
        Map<String, Object> keyObject = Keys.toJson(k.publicKey());
        Fields f = new Fields("root.json", "keys", keyObject);
        Keys.parse(f, k.publicKey().id().hex());
        MalformedMetadataException e = assertThrows(MalformedMetadataException.class,
                () -> Keys.parse(f, "ab".repeat(32)));
        assertTrue(e.getMessage().contains("not the SHA-256 of the key"), e.getMessage());
    }

    @Test
    void globStaysWithinOnePathSegment() {
        assertTrue(Glob.matches("5.15.0-91-generic/x86_64/*", "5.15.0-91-generic/x86_64/lkp_1.ko"));
        assertFalse(Glob.matches("5.15.0-91-generic/x86_64/*", "5.15.0-91-generic/x86_64/sub/lkp_1.ko"));
        assertFalse(Glob.matches("5.15.0-91-generic/x86_64/*", "6.8.0-40-generic/x86_64/lkp_1.ko"));
        assertTrue(Glob.matches("a/?.ko", "a/b.ko"));
        assertFalse(Glob.matches("a?b", "a/b"));
    }
}
