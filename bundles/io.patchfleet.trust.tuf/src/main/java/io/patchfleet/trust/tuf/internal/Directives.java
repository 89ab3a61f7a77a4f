package io.patchfleet.trust.tuf.internal;

import io.patchfleet.model.MachineId;
import io.patchfleet.trust.api.Directive;
import io.patchfleet.trust.api.ExpiredMetadataException;
import io.patchfleet.trust.api.KeyId;
import io.patchfleet.trust.api.MalformedMetadataException;
import io.patchfleet.trust.api.RoleKeys;
import io.patchfleet.trust.api.RollbackException;
import io.patchfleet.trust.api.SigningKey;
import io.patchfleet.trust.api.TargetMismatchException;
import io.patchfleet.trust.api.TrustException;
import io.patchfleet.trust.api.TrustException.Reason;
import io.patchfleet.trust.api.TrustKey;
import io.patchfleet.trust.api.VerifiedDirective;
import io.patchfleet.trust.api.VerifiedTarget;
import java.time.Instant;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/** Directive signing and Uptane-style full verification against the publisher's targets. */
final class Directives {
    private static final Set<String> FIELDS = Set.of("_type", "machine_id", "target_name", "length", "hashes",
            "counter", "issued", "expires");

    private Directives() {}

    static byte[] sign(Directive d, SigningKey key) throws TrustException {
        Map<String, Object> signed = new LinkedHashMap<>();
        signed.put("_type", "directive");
        signed.put("machine_id", d.machineId().value());
        d.target().ifPresent(t -> {
            signed.put("target_name", t.name());
            signed.put("length", t.length());
            signed.put("hashes", new TreeMap<>(t.hashes()));
        });
        signed.put("counter", d.counter());
        signed.put("issued", Fields.format(d.issued()));
        signed.put("expires", Fields.format(d.expires()));
        return Envelopes.sign(signed, List.of(key));
    }

    static Directive parse(byte[] bytes, long maxLength) throws MalformedMetadataException {
        Signed s = Signed.parse(bytes, "directive", maxLength, "directive");
        Fields f = s.signed;
        f.only(FIELDS);
        try {
            MachineId machine = MachineId.of(f.string("machine_id"));
            long counter = f.integer("counter", 1, Long.MAX_VALUE);
            Instant issued = f.instant("issued");
            Instant expires = f.instant("expires");
            boolean hasTarget = f.has("target_name");
            if (hasTarget != f.has("length") || hasTarget != f.has("hashes")) {
                throw f.error("target_name, length and hashes must be given together (or all omitted for no patch)");
            }
            Optional<Directive.Target> target = Optional.empty();
            if (hasTarget) {
                Fields h = f.object("hashes");
                Map<String, String> hashes = new TreeMap<>();
                for (String alg : h.map.keySet()) {
                    hashes.put(alg, h.hex(alg));
                }
                target = Optional.of(new Directive.Target(f.string("target_name"),
                        f.integer("length", 1, Long.MAX_VALUE), hashes));
            }
            return new Directive(machine, target, counter, issued, expires);
        } catch (IllegalArgumentException e) {
            throw f.error(e.getMessage());
        }
    }

    static VerifiedDirective verify(byte[] bytes, long maxLength, TrustKey directiveKey, MachineId machine,
            long lastAcceptedCounter, Map<String, VerifiedTarget> publisherTargets, Instant now) throws TrustException {
        Signed s = Signed.parse(bytes, "directive", maxLength, "directive");
        Directive d = parse(bytes, maxLength);
        s.verify("directive", Map.of(directiveKey.id(), directiveKey), new RoleKeys(Set.of(directiveKey.id()), 1));
        if (!d.machineId().equals(machine)) {
            throw new TrustException(Reason.WRONG_MACHINE, "the directive is for machine " + d.machineId()
                    + ", this is " + machine);
        }
        if (!now.isBefore(d.expires())) {
            throw new ExpiredMetadataException(Reason.EXPIRED, "the directive expired at " + d.expires()
                    + " (now " + now + ")");
        }
        if (d.counter() <= lastAcceptedCounter) {
            throw new RollbackException(Reason.ROLLBACK, "directive counter " + d.counter()
                    + " is not above the last accepted " + lastAcceptedCounter + " (replayed directive)");
        }
        if (d.target().isEmpty()) {
            return new VerifiedDirective(d, Optional.empty());
        }
        Directive.Target t = d.target().get();
        VerifiedTarget published = publisherTargets.get(t.name());
        if (published == null) {
            throw new TargetMismatchException(Reason.UNKNOWN_TARGET, "the directive names target " + t.name()
                    + ", which the publisher's metadata for this kernel does not list");
        }
        if (published.length() != t.length()) {
            throw new TargetMismatchException(Reason.LENGTH_MISMATCH, "the directive gives target " + t.name()
                    + " " + t.length() + " bytes, the publisher signed " + published.length());
        }
        if (!published.hashes().equals(t.hashes())) {
            throw new TargetMismatchException(Reason.HASH_MISMATCH, "the directive's hashes of target " + t.name()
                    + " differ from the publisher's");
        }
        if (published.patch().isPresent() && published.patch().get().revoked()) {
            throw new TargetMismatchException(Reason.UNKNOWN_TARGET, "the directive names target " + t.name()
                    + ", which the publisher revoked");
        }
        return new VerifiedDirective(d, Optional.of(published));
    }

    static String hex(byte[] b) {
        return HexFormat.of().formatHex(b);
    }

    static KeyId id(TrustKey k) {
        return k.id();
    }
}
