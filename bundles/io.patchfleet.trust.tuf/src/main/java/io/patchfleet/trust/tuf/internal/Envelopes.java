package io.patchfleet.trust.tuf.internal;

import io.patchfleet.trust.api.SigningKey;
import io.patchfleet.trust.api.TrustException;
import io.patchfleet.trust.api.TrustException.Reason;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Writing signed files: {@code {"signed": ..., "signatures": [...]}} as canonical JSON. */
final class Envelopes {
    private Envelopes() {}

    /** Signs the canonical form of {@code signed} with each key, in order, once per key id. */
    static byte[] sign(Map<String, Object> signed, List<SigningKey> keys) throws TrustException {
        byte[] canonical = CanonicalJson.encode(signed);
        List<Object> signatures = new ArrayList<>();
        java.util.Set<String> seen = new java.util.HashSet<>();
        for (SigningKey key : keys) {
            String id = key.publicKey().id().hex();
            if (!seen.add(id)) {
                continue;
            }
            byte[] sig;
            try {
                sig = key.sign(canonical);
            } catch (RuntimeException e) {
                throw new TrustException(Reason.SIGNING_FAILED, "key " + id + " failed to sign: " + e.getMessage(), e);
            }
            Map<String, Object> s = new LinkedHashMap<>();
            s.put("keyid", id);
            s.put("sig", HexFormat.of().formatHex(sig));
            signatures.add(s);
        }
        Map<String, Object> file = new LinkedHashMap<>();
        file.put("signed", signed);
        file.put("signatures", signatures);
        return CanonicalJson.encodeFile(file);
    }
}
