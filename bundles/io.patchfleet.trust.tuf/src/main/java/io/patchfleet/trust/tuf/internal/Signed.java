package io.patchfleet.trust.tuf.internal;

import io.patchfleet.trust.api.KeyId;
import io.patchfleet.trust.api.MalformedMetadataException;
import io.patchfleet.trust.api.RoleKeys;
import io.patchfleet.trust.api.SignatureException;
import io.patchfleet.trust.api.TrustException.Reason;
import io.patchfleet.trust.api.TrustKey;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * One signed file: {@code {"signed": {...}, "signatures": [{"keyid", "sig"}, ...]}}, parsed
 * strictly, with the canonical bytes of {@code signed} that the signatures cover and the
 * common header fields ({@code _type}, {@code spec_version}, {@code version}, {@code expires}).
 */
final class Signed {
    private static final Pattern SPEC_VERSION = Pattern.compile("1\\.\\d{1,4}(\\.\\d{1,4})?");
    private static final Pattern KEYID = Pattern.compile("[0-9a-f]{64}");

    record Sig(String keyId, byte[] sig) {}

    final String file;
    final byte[] bytes;
    final Fields signed;
    final byte[] canonical;
    final List<Sig> signatures;

    private Signed(String file, byte[] bytes, Fields signed, byte[] canonical, List<Sig> signatures) {
        this.file = file;
        this.bytes = bytes;
        this.signed = signed;
        this.canonical = canonical;
        this.signatures = signatures;
    }

    /**
     * Parses the envelope and checks {@code signed._type} is {@code type}; for metadata types,
     * also {@code spec_version} (major version 1).
     */
    static Signed parse(byte[] bytes, String file, long maxLength, String type) throws MalformedMetadataException {
        Fields top = Fields.root(file, Json.parseObject(bytes, file, maxLength));
        top.only(Set.of("signed", "signatures"));
        Fields signed = top.object("signed");
        List<Object> sigArray = top.array("signatures");
        List<Sig> sigs = new ArrayList<>(sigArray.size());
        for (int i = 0; i < sigArray.size(); i++) {
            Fields s = top.element("signatures", i, sigArray.get(i));
            String keyId = s.string("keyid");
            if (!KEYID.matcher(keyId).matches()) {
                throw s.error("keyid", "must be 64 lower-case hex characters");
            }
            sigs.add(new Sig(keyId, Keys.parseHexOrNull(s.hex("sig"))));
        }
        String actualType = signed.string("_type");
        if (!actualType.equals(type)) {
            throw signed.error("_type", "is \"" + Json.printable(actualType) + "\", expected \"" + type + "\"");
        }
        if (!"directive".equals(type)) {
            String spec = signed.string("spec_version");
            if (!SPEC_VERSION.matcher(spec).matches()) {
                throw signed.error("spec_version", "unsupported TUF specification version \"" + Json.printable(spec) + "\"");
            }
        }
        return new Signed(file, bytes, signed, CanonicalJson.encode(signed.map), List.copyOf(sigs));
    }

    long version() throws MalformedMetadataException {
        return signed.integer("version", 1, Long.MAX_VALUE);
    }

    Instant expires() throws MalformedMetadataException {
        return signed.instant("expires");
    }

    /** The distinct keys listed for {@code role} whose signature over the canonical bytes verifies. */
    Set<KeyId> validSigners(Map<KeyId, TrustKey> keys, RoleKeys role) {
        Set<KeyId> valid = new HashSet<>();
        for (Sig s : signatures) {
            KeyId id = new KeyId(s.keyId());
            if (valid.contains(id) || !role.keyIds().contains(id)) {
                continue;
            }
            TrustKey key = keys.get(id);
            if (key != null && Keys.verify(key, canonical, s.sig())) {
                valid.add(id);
            }
        }
        return valid;
    }

    /**
     * Checks that a threshold of distinct keys of {@code role} signed.
     *
     * @param roleDescription e.g. {@code "timestamp"} or {@code "root 3 (new root keys)"}
     */
    void verify(String roleDescription, Map<KeyId, TrustKey> keys, RoleKeys role) throws SignatureException {
        Set<KeyId> valid = validSigners(keys, role);
        if (!role.isMetBy(valid)) {
            boolean bad = valid.isEmpty() && !signatures.isEmpty();
            throw new SignatureException(bad ? Reason.BAD_SIGNATURE : Reason.THRESHOLD_NOT_MET,
                    file + ": " + valid.size() + " valid signature(s) by distinct " + roleDescription + " keys, "
                            + role.threshold() + " required"
                            + (bad ? " (no signature verifies: altered content or a key not trusted for this role)" : ""));
        }
    }
}
