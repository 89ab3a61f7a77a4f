package io.patchfleet.trust.api;

import io.patchfleet.model.PatchRelease;
import io.patchfleet.model.Sha256;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A target listed in verified targets metadata: the only description of a file that may be
 * trusted. Install a module only if its bytes pass {@link #checkContent}.
 *
 * @param name the TUF target path; see {@link PatchRelease#checkTargetName}
 * @param length the exact length in bytes, at least 1
 * @param hashes hex digests by TUF algorithm name; must hold {@code sha256}; copied, unmodifiable
 * @param patch the Patchfleet patch fields from the target's {@code custom} object; empty for a
 *     target that is not a patch module. When present, its target name, SHA-256 and length
 *     equal this target's (checked here, so the two descriptions cannot disagree)
 */
public record VerifiedTarget(String name, long length, Map<String, String> hashes, Optional<PatchRelease> patch) {
    public VerifiedTarget {
        PatchRelease.checkTargetName(name);
        Objects.requireNonNull(hashes, "target hashes");
        Objects.requireNonNull(patch, "target patch");
        if (length < 1) {
            throw new IllegalArgumentException("target length must be at least 1: " + length);
        }
        hashes = Map.copyOf(hashes);
        String sha = hashes.get("sha256");
        if (sha == null) {
            throw new IllegalArgumentException("target " + name + " has no sha256 hash");
        }
        Sha256 digest = Sha256.of(sha);
        if (patch.isPresent()) {
            PatchRelease p = patch.get();
            if (!p.targetName().equals(name) || !p.sha256().equals(digest) || p.length() != length) {
                throw new IllegalArgumentException("patch fields of target " + name + " disagree with its name, hash or length");
            }
        }
    }

    /** The SHA-256 of the target. */
    public Sha256 sha256() {
        return Sha256.of(hashes.get("sha256"));
    }

    /**
     * Checks downloaded content against this target. Length is checked first: a download must
     * also be cut off at {@link #length()} bytes while streaming (TUF attack 7).
     *
     * @param actualLength bytes received
     * @param actualSha256 their SHA-256
     * @throws TargetMismatchException with {@link TrustException.Reason#LENGTH_MISMATCH} or
     *     {@link TrustException.Reason#HASH_MISMATCH}
     */
    public void checkContent(long actualLength, Sha256 actualSha256) throws TargetMismatchException {
        Objects.requireNonNull(actualSha256, "actual sha256");
        if (actualLength != length) {
            throw new TargetMismatchException(TrustException.Reason.LENGTH_MISMATCH,
                    "target " + name + ": expected " + length + " bytes, got " + actualLength);
        }
        if (!actualSha256.equals(sha256())) {
            throw new TargetMismatchException(TrustException.Reason.HASH_MISMATCH,
                    "target " + name + ": SHA-256 " + actualSha256 + " is not the signed " + sha256());
        }
    }
}
