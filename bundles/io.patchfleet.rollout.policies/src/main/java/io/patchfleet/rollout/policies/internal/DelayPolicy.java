package io.patchfleet.rollout.policies.internal;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.Optional;

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
 * Patch delay and cutoff on the server, per tier: a release is offered only once it is
 * {@code delay} old (since publication, or since it became available to the tier with
 * {@code delay.from = available}), and, with a {@code cutoff}, only if it was published at or
 * before it (a fleet frozen at a known state). Machines get the newest release that passes; one
 * that passes nothing keeps what it runs.
 */
@Component(configurationPid = DelayPolicy.PID, configurationPolicy = ConfigurationPolicy.REQUIRE,
        property = "patchfleet.rollout.policy=delay")
@Designate(ocd = DelayPolicy.Config.class, factory = true)
public class DelayPolicy implements RolloutPolicy {
    static final String PID = "io.patchfleet.rollout.delay";

    @ObjectClassDefinition(name = "Patchfleet rollout policy: delay and cutoff",
            description = "Offer a release only after a delay, and only if published before a cutoff")
    public @interface Config {
        @AttributeDefinition(description = "A name for status and reasons; empty: delay")
        String name() default "";

        @AttributeDefinition(description = "Tiers this applies to; empty: all tiers")
        String[] tiers() default {};

        @AttributeDefinition(description = "Place in the chain: lower is asked first")
        int order() default 40;

        @AttributeDefinition(description = "How old a release must be (such as 24h, 7d); 0s: no delay")
        String delay() default "0s";

        @AttributeDefinition(description = "Count the delay from: published (the publisher's time) or available (reached this tier)",
                options = {@org.osgi.service.metatype.annotations.Option(value = "published"),
                        @org.osgi.service.metatype.annotations.Option(value = "available")})
        String delay_from() default "published";

        @AttributeDefinition(description = "Only releases published at or before this date (2026-11-01, UTC) or time "
                + "(2026-11-01T12:00:00Z); empty: none")
        String cutoff() default "";
    }

    record Settings(String name, Duration delay, boolean fromAvailable, Optional<Instant> cutoff, String error) {}

    private volatile Settings settings;

    @Activate
    public DelayPolicy(Config c) {
        this.settings = settings(c.name(), c.delay(), c.delay_from(), c.cutoff());
    }

    @Modified
    void modified(Config c) {
        this.settings = settings(c.name(), c.delay(), c.delay_from(), c.cutoff());
    }

    DelayPolicy(Settings settings) {
        this.settings = settings;
    }

    static Settings settings(String name, String delay, String from, String cutoff) {
        String n = Scope.name(name, "delay");
        try {
            Duration d = delay == null || delay.isBlank() || delay.strip().equals("0") ? Duration.ZERO
                    : Durations.parse(delay, "delay");
            String f = from == null || from.isBlank() ? "published" : from.strip();
            if (!f.equals("published") && !f.equals("available")) {
                throw new IllegalArgumentException("delay.from must be published or available: " + from);
            }
            return new Settings(n, d, f.equals("available"), cutoff(cutoff), null);
        } catch (IllegalArgumentException e) {
            return new Settings(n, Duration.ZERO, false, Optional.empty(), e.getMessage());
        }
    }

    static Optional<Instant> cutoff(String text) {
        if (text == null || text.isBlank()) {
            return Optional.empty();
        }
        String t = text.strip();
        try {
            return Optional.of(t.length() == 10 ? LocalDate.parse(t).plusDays(1).atStartOfDay(ZoneOffset.UTC).toInstant().minusNanos(1)
                    : Instant.parse(t));
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException("cutoff \"" + text + "\" is not a date (2026-11-01) or time (2026-11-01T12:00:00Z)");
        }
    }

    /** When a release passes the delay. */
    private static Instant ready(Settings s, PatchRelease r, ReleaseRollout rollout) {
        return (s.fromAvailable() ? rollout.availableSince() : r.publishedAt()).plus(s.delay());
    }

    @Override
    public Decision decide(RolloutContext ctx) {
        Settings s = settings;
        if (s.error() != null) {
            return Scope.misconfigured(s.name(), s.error(), ctx);
        }
        long running = ctx.machine().currentPatchVersion();
        Instant now = ctx.now();
        Instant soonest = Instant.MAX;
        String why = null;
        for (int i = ctx.candidates().size() - 1; i >= 0; i--) {
            PatchRelease r = ctx.candidates().get(i);
            if (r.version() <= running) {
                break;
            }
            if (s.cutoff().isPresent() && r.publishedAt().isAfter(s.cutoff().get())) {
                if (why == null) {
                    why = "patch " + r.version() + " was published after the cutoff " + s.cutoff().get();
                }
                continue;
            }
            Instant ready = ready(s, r, ctx.rollout(r));
            if (!now.isBefore(ready)) {
                return Decision.offer(r);
            }
            if (ready.isBefore(soonest)) {
                soonest = ready;
            }
            if (why == null) {
                why = "patch " + r.version() + " is delayed " + Durations.format(s.delay()) + " until " + ready;
            }
        }
        if (why == null) {
            return Scope.noObjection(ctx);
        }
        return Decision.hold(why, soonest);
    }

    @Override
    public Optional<String> describe(PatchRelease release, TierName tier, ReleaseRollout rollout, Instant now) {
        Settings s = settings;
        if (s.error() != null) {
            return Optional.of("misconfigured: " + s.error());
        }
        if (s.cutoff().isPresent() && release.publishedAt().isAfter(s.cutoff().get())) {
            return Optional.of("after the cutoff " + s.cutoff().get() + ": not offered");
        }
        Instant ready = ready(s, release, rollout);
        return Optional.of(now.isBefore(ready) ? "delayed until " + ready : "delay passed");
    }
}
