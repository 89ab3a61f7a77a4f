package com.example.rollout.requiretag;

import java.time.Instant;
import java.util.Optional;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

import io.patchfleet.model.Machine;
import io.patchfleet.model.PatchRelease;
import io.patchfleet.model.TierName;
import io.patchfleet.rollout.api.Decision;
import io.patchfleet.rollout.api.ReleaseRollout;
import io.patchfleet.rollout.api.RolloutContext;
import io.patchfleet.rollout.api.RolloutPolicy;

/**
 * An example third-party rollout policy: in its tiers, only machines carrying a given tag get
 * new patches (say, {@code canary}); the others keep what they run. See
 * {@code docs/writing-a-rollout-plugin.md}.
 */
@Component(configurationPid = RequireTagPolicy.PID, configurationPolicy = ConfigurationPolicy.REQUIRE)
@Designate(ocd = RequireTagPolicy.Config.class, factory = true)
public class RequireTagPolicy implements RolloutPolicy {
    public static final String PID = "com.example.rollout.requiretag";

    @ObjectClassDefinition(name = "Example: only machines with a tag")
    public @interface Config {
        @AttributeDefinition(description = "Name shown in reasons and status")
        String name() default "require-tag";

        @AttributeDefinition(description = "Tiers this applies to (read by the engine); empty: all")
        String[] tiers() default {};

        @AttributeDefinition(description = "Place in the chain (read by the engine)")
        int order() default 50;

        @AttributeDefinition(description = "The tag a machine must have")
        String tag() default "canary";
    }

    /** Settings are swapped as one immutable value: a check-in never sees half a configuration. */
    private record Settings(String name, String tag) {}

    private volatile Settings settings;

    @Activate
    public RequireTagPolicy(Config config) {
        modified(config);
    }

    @Modified
    void modified(Config config) {
        settings = new Settings(config.name(), Machine.checkTag(config.tag().strip()));
    }

    @Override
    public Decision decide(RolloutContext ctx) {
        Settings s = settings;
        Optional<PatchRelease> newest = ctx.newest();
        if (newest.isEmpty()) {
            return Decision.hold("no patch to offer", ctx.now());
        }
        if (ctx.machine().machine().tags().contains(s.tag())
                || newest.get().version() <= ctx.machine().currentPatchVersion()) {
            return Decision.offer(newest.get()); // no objection
        }
        // Until an admin tags the machine: nothing else would change the answer.
        return Decision.hold("this tier takes new patches only on machines tagged " + s.tag() + " (" + s.name() + ")",
                Instant.MAX);
    }

    @Override
    public Optional<String> describe(PatchRelease release, TierName tier, ReleaseRollout rollout, Instant now) {
        return Optional.of("only machines tagged " + settings.tag());
    }
}
