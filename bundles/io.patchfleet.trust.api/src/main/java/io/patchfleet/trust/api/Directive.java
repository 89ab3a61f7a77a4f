package io.patchfleet.trust.api;

import io.patchfleet.model.MachineId;
import io.patchfleet.model.PatchRelease;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * What an on-prem server tells one machine to run now, signed with the server's own directive
 * key (Uptane's director). A directive alone never makes a machine install anything: the client
 * acts only where the directive and the publisher's verified targets agree
 * ({@link TrustService#verifyDirective}).
 *
 * <p>On the wire (signed as canonical JSON, like TUF metadata):
 * <pre>
 * {"signed": {"_type": "directive", "machine_id": "...", "target_name": "...", "length": 123,
 *             "hashes": {"sha256": "..."}, "counter": 42, "issued": "2026-01-01T00:00:00Z",
 *             "expires": "2026-01-02T00:00:00Z"},
 *  "signatures": [{"keyid": "...", "sig": "..."}]}
 * </pre>
 * The "run no patch" form (revert to the unpatched kernel) omits {@code target_name},
 * {@code length} and {@code hashes}.
 *
 * @param machineId the machine this directive is for; never {@code null}
 * @param target the target to run; empty means "run no patch"
 * @param counter strictly increasing per machine; a machine accepts only a counter above the
 *     last one it accepted (replay protection); at least 1
 * @param issued when the server issued it; truncated to whole seconds
 * @param expires when it stops being valid; truncated to whole seconds; after {@code issued}
 */
public record Directive(MachineId machineId, Optional<Target> target, long counter, Instant issued, Instant expires) {
    public Directive {
        Objects.requireNonNull(machineId, "directive machine id");
        Objects.requireNonNull(target, "directive target");
        Objects.requireNonNull(issued, "directive issued");
        Objects.requireNonNull(expires, "directive expires");
        issued = issued.truncatedTo(ChronoUnit.SECONDS);
        expires = expires.truncatedTo(ChronoUnit.SECONDS);
        if (counter < 1) {
            throw new IllegalArgumentException("directive counter must be at least 1: " + counter);
        }
        if (!expires.isAfter(issued)) {
            throw new IllegalArgumentException("directive must expire after it is issued");
        }
    }

    /** A directive to run {@code target}, described exactly as the publisher signed it. */
    public static Directive install(MachineId machineId, VerifiedTarget target, long counter, Instant issued,
            Instant expires) {
        return new Directive(machineId, Optional.of(new Target(target.name(), target.length(), target.hashes())),
                counter, issued, expires);
    }

    /** A directive to run no patch: unload any applied livepatch. */
    public static Directive none(MachineId machineId, long counter, Instant issued, Instant expires) {
        return new Directive(machineId, Optional.empty(), counter, issued, expires);
    }

    /**
     * The target a directive names.
     *
     * @param name TUF target path; see {@link PatchRelease#checkTargetName}
     * @param length at least 1
     * @param hashes hex digests by TUF algorithm name; must hold {@code sha256}; copied
     */
    public record Target(String name, long length, Map<String, String> hashes) {
        public Target {
            PatchRelease.checkTargetName(name);
            Objects.requireNonNull(hashes, "directive hashes");
            hashes = Map.copyOf(hashes);
            if (length < 1) {
                throw new IllegalArgumentException("directive target length must be at least 1: " + length);
            }
            if (!hashes.containsKey("sha256")) {
                throw new IllegalArgumentException("directive target " + name + " has no sha256 hash");
            }
        }
    }
}
