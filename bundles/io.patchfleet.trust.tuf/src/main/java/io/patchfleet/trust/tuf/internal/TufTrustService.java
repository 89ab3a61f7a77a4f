package io.patchfleet.trust.tuf.internal;

import io.patchfleet.model.MachineId;
import io.patchfleet.trust.api.Directive;
import io.patchfleet.trust.api.MetadataPublisher;
import io.patchfleet.trust.api.SigningKey;
import io.patchfleet.trust.api.TrustAnchor;
import io.patchfleet.trust.api.TrustException;
import io.patchfleet.trust.api.TrustKey;
import io.patchfleet.trust.api.TrustService;
import io.patchfleet.trust.api.TrustedMetadataStore;
import io.patchfleet.trust.api.VerifiedDirective;
import io.patchfleet.trust.api.VerifiedTarget;
import io.patchfleet.trust.api.Verifier;
import io.patchfleet.trust.tuf.TufLimits;
import java.io.IOException;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/** The TUF 1.0 {@link TrustService}: stateless; each verifier holds its own state. */
@Component(service = TrustService.class, configurationPid = "io.patchfleet.trust.tuf")
@Designate(ocd = TufTrustService.Config.class)
public final class TufTrustService implements TrustService {

    @ObjectClassDefinition(name = "Patchfleet TUF trust", description = "Download caps of TUF metadata")
    public @interface Config {
        @AttributeDefinition(description = "Largest N.root.json accepted, bytes")
        long rootMaxBytes() default 512 * 1024;

        @AttributeDefinition(description = "Largest timestamp.json accepted, bytes")
        long timestampMaxBytes() default 16 * 1024;

        @AttributeDefinition(description = "Largest snapshot accepted, bytes")
        long snapshotMaxBytes() default 2 * 1024 * 1024;

        @AttributeDefinition(description = "Largest top-level targets accepted, bytes")
        long targetsMaxBytes() default 4 * 1024 * 1024;

        @AttributeDefinition(description = "Largest delegated (kernel series) targets role accepted, bytes")
        long delegatedMaxBytes() default 1024 * 1024;

        @AttributeDefinition(description = "Largest directive accepted, bytes")
        long directiveMaxBytes() default 16 * 1024;

        @AttributeDefinition(description = "Most root rotations followed in one update")
        int maxRootRotations() default 32;
    }

    private final TufLimits limits;

    @Activate
    public TufTrustService(Config config) {
        this(new TufLimits(config.rootMaxBytes(), config.timestampMaxBytes(), config.snapshotMaxBytes(),
                config.targetsMaxBytes(), config.delegatedMaxBytes(), config.directiveMaxBytes(),
                config.maxRootRotations()));
    }

    public TufTrustService(TufLimits limits) {
        this.limits = Objects.requireNonNull(limits, "limits");
    }

    @Override
    public Verifier open(TrustAnchor anchor, TrustedMetadataStore store) throws TrustException, IOException {
        return new TufVerifier(anchor, store, limits);
    }

    @Override
    public MetadataPublisher publisher() {
        return new TufPublisher(limits);
    }

    @Override
    public byte[] signDirective(Directive directive, SigningKey key) throws TrustException {
        Objects.requireNonNull(directive, "directive");
        Objects.requireNonNull(key, "key");
        return Directives.sign(directive, key);
    }

    @Override
    public VerifiedDirective verifyDirective(byte[] signedDirective, TrustKey directiveKey, MachineId machine,
            long lastAcceptedCounter, Map<String, VerifiedTarget> publisherTargets, Instant now) throws TrustException {
        Objects.requireNonNull(signedDirective, "signedDirective");
        Objects.requireNonNull(directiveKey, "directiveKey");
        Objects.requireNonNull(machine, "machine");
        Objects.requireNonNull(publisherTargets, "publisherTargets");
        Objects.requireNonNull(now, "now");
        return Directives.verify(signedDirective, limits.directiveMaxBytes(), directiveKey, machine,
                lastAcceptedCounter, publisherTargets, now);
    }
}
