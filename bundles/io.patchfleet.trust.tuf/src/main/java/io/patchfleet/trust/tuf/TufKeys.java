package io.patchfleet.trust.tuf;

import io.patchfleet.trust.api.MalformedMetadataException;
import io.patchfleet.trust.api.TrustException;
import io.patchfleet.trust.api.TrustKey;
import io.patchfleet.trust.tuf.internal.Keys;
import java.util.Map;

/**
 * TUF key objects ({@code {"keytype", "scheme", "keyval": {"public"}}}) as they travel outside
 * metadata files, such as the directive key a server hands a machine at enrollment.
 */
public final class TufKeys {
    private TufKeys() {}

    /**
     * The key of a TUF key object, its id computed exactly as in metadata (SHA-256 of the
     * canonical JSON of the key object). Fields other than {@code keytype}, {@code scheme} and
     * {@code keyval.public} are ignored.
     *
     * @throws MalformedMetadataException if a field is missing, of the wrong type or invalid
     */
    public static TrustKey fromKeyObject(Map<?, ?> keyObject) throws MalformedMetadataException {
        if (keyObject == null || !(keyObject.get("keytype") instanceof String type)
                || !(keyObject.get("scheme") instanceof String scheme)
                || !(keyObject.get("keyval") instanceof Map<?, ?> keyval)
                || !(keyval.get("public") instanceof String pub)) {
            throw new MalformedMetadataException(TrustException.Reason.MALFORMED, "key object: keytype, scheme and keyval.public must be strings");
        }
        try {
            return Keys.key(type, scheme, pub);
        } catch (IllegalArgumentException e) {
            throw new MalformedMetadataException(TrustException.Reason.MALFORMED, "key object: " + e.getMessage());
        }
    }

    /** The TUF key object of {@code key}, the inverse of {@link #fromKeyObject}. */
    public static Map<String, Object> toKeyObject(TrustKey key) {
        return Keys.toJson(key);
    }
}
