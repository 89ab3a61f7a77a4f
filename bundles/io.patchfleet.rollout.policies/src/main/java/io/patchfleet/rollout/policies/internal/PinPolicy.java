package io.patchfleet.rollout.policies.internal;

import java.time.Instant;
import java.util.Optional;
import java.util.Set;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

import io.patchfleet.model.PatchRelease;
import io.patchfleet.model.TierName;
import io.patchfleet.rollout.api.Decision;
import io.patchfleet.rollout.api.ReleaseRollout;
import io.patchfleet.rollout.api.RolloutContext;
import io.patchfleet.rollout.api.RolloutPolicy;

/**
 * Pin: machines of its tiers (and, with {@code tags}, only machines with one of them) stay on
 * patch {@code version} until the configuration is deleted. A pinned machine is offered exactly
 * that version — also when it runs a newer one, which moves it back: a pin is how an operator
 * holds a fleet on a known-good patch. When the version is not available to the machine (not
 * promoted to its tier, revoked, another kernel) the machine is held.
 *
 * <p>Precedence follows from "strictest wins": the pin's offer beats any newer offer, holds
 * (windows, waves, a pause) still beat the pin, and of two pins on a machine the lower version
 * wins.
 */
@Component(configurationPid = PinPolicy.PID, configurationPolicy = ConfigurationPolicy.REQUIRE,
        property = "patchfleet.rollout.policy=pin")
@Designate(ocd = PinPolicy.Config.class, factory = true)
public class PinPolicy implements RolloutPolicy {
    static final String PID = "io.patchfleet.rollout.pin";

    @ObjectClassDefinition(name = "Patchfleet rollout policy: pin",
            description = "A tier or the machines with a tag stay on one patch version")
    public @interface Config {
        @AttributeDefinition(description = "A name for status and reasons; empty: pin")
        String name() default "";

        @AttributeDefinition(description = "Tiers this pin applies to; empty: all tiers")
        String[] tiers() default {};

        @AttributeDefinition(description = "Only machines with one of these tags; empty: every machine of the tiers")
        String[] tags() default {};

        @AttributeDefinition(description = "Place in the chain: lower is asked first")
        int order() default 5;

        @AttributeDefinition(description = "The patch version to stay on", min = "1")
        long version();
    }

    record Settings(String name, long version, Set<String> tags, String error) {}

    private volatile Settings settings;

    @Activate
    public PinPolicy(Config c) {
        this.settings = settings(c.name(), c.version(), c.tags());
    }

    @Modified
    void modified(Config c) {
        this.settings = settings(c.name(), c.version(), c.tags());
    }

    PinPolicy(Settings settings) {
        this.settings = settings;
    }

    static Settings settings(String name, long version, String[] tags) {
        String n = Scope.name(name, "pin");
        try {
            if (version < 1) {
                throw new IllegalArgumentException("version must be at least 1");
            }
            return new Settings(n, version, Scope.tags(tags), null);
        } catch (IllegalArgumentException e) {
            return new Settings(n, 0, Set.of(), e.getMessage());
        }
    }

    @Override
    public Decision decide(RolloutContext ctx) {
        Settings s = settings;
        if (s.error() != null) {
            return Scope.misconfigured(s.name(), s.error(), ctx);
        }
        if (!Scope.matches(s.tags(), ctx)) {
            return Scope.noObjection(ctx);
        }
        for (PatchRelease r : ctx.candidates()) {
            if (r.version() == s.version()) {
                return Decision.offer(r);
            }
        }
        return Decision.hold("pinned to patch " + s.version() + " (" + s.name() + "), which is not available to tier "
                + ctx.machine().machine().tier().value() + " for this kernel", Instant.MAX);
    }

    @Override
    public Optional<String> describe(PatchRelease release, TierName tier, ReleaseRollout rollout, Instant now) {
        Settings s = settings;
        if (s.error() != null) {
            return Optional.of("misconfigured: " + s.error());
        }
        return Optional.of("pinned to patch " + s.version() + (s.tags().isEmpty() ? "" : " for tags " + s.tags()));
    }
}
