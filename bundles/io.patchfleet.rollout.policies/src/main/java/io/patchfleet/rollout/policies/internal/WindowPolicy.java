package io.patchfleet.rollout.policies.internal;

import java.nio.charset.StandardCharsets;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

import io.patchfleet.model.MachineId;
import io.patchfleet.model.PatchRelease;
import io.patchfleet.model.TierName;
import io.patchfleet.rollout.api.Decision;
import io.patchfleet.rollout.api.ReleaseRollout;
import io.patchfleet.rollout.api.RolloutContext;
import io.patchfleet.rollout.api.RolloutPolicy;

/**
 * Maintenance windows: machines of its tiers (and, when {@code tags} is set, only machines with
 * one of those tags) get a new patch only inside a window that opens at each time of a cron
 * expression, in a time zone, and lasts {@code duration}. Outside the window the answer is
 * "hold until it opens". With {@code spread} each machine's own start is placed in the first
 * half of the window by a hash of its id, so a fleet does not arrive at the opening minute and
 * every machine still has at least half the window to apply.
 *
 * <p>Machines with nothing new to apply are not held (a window does not stop a machine keeping
 * its patch). Time zones and daylight saving time follow {@link Cron}.
 */
@Component(configurationPid = WindowPolicy.PID, configurationPolicy = ConfigurationPolicy.REQUIRE,
        property = "patchfleet.rollout.policy=window")
@Designate(ocd = WindowPolicy.Config.class, factory = true)
public class WindowPolicy implements RolloutPolicy {
    static final String PID = "io.patchfleet.rollout.window";
    private static final DateTimeFormatter WHEN = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm z", Locale.ROOT);

    @ObjectClassDefinition(name = "Patchfleet rollout policy: maintenance window",
            description = "New patches only inside windows: cron start, duration, time zone; per tier or machine tag")
    public @interface Config {
        @AttributeDefinition(description = "A name for status and reasons; empty: window")
        String name() default "";

        @AttributeDefinition(description = "Tiers this window applies to; empty: all tiers")
        String[] tiers() default {};

        @AttributeDefinition(description = "Only machines with one of these tags; empty: every machine of the tiers")
        String[] tags() default {};

        @AttributeDefinition(description = "Place in the chain: lower is asked first")
        int order() default 30;

        @AttributeDefinition(description = "When windows open: minute hour day-of-month month day-of-week, such as 0 2 * * SAT")
        String cron() default "0 2 * * *";

        @AttributeDefinition(description = "How long a window stays open (such as 4h); at most 7d")
        String duration() default "4h";

        @AttributeDefinition(description = "Time zone of the cron times, such as UTC or Europe/Berlin")
        String zone() default "UTC";

        @AttributeDefinition(description = "Spread machines' start times over the first half of the window")
        boolean spread() default true;
    }

    record Settings(String name, Cron cron, Duration duration, ZoneId zone, Set<String> tags, boolean spread, String error) {}

    /** A window: when it opens and closes. */
    record Window(Instant opens, Instant closes) {}

    private volatile Settings settings;

    @Activate
    public WindowPolicy(Config c) {
        this.settings = settings(c.name(), c.cron(), c.duration(), c.zone(), c.tags(), c.spread());
    }

    @Modified
    void modified(Config c) {
        this.settings = settings(c.name(), c.cron(), c.duration(), c.zone(), c.tags(), c.spread());
    }

    WindowPolicy(Settings settings) {
        this.settings = settings;
    }

    static Settings settings(String name, String cron, String duration, String zone, String[] tags, boolean spread) {
        String n = Scope.name(name, "window");
        try {
            Cron c = Cron.parse(cron);
            Duration d = Durations.parse(duration, "duration");
            if (d.compareTo(Duration.ofMinutes(1)) < 0 || d.compareTo(Duration.ofDays(7)) > 0) {
                throw new IllegalArgumentException("duration must be from 1m to 7d");
            }
            ZoneId z;
            try {
                z = ZoneId.of(zone == null || zone.isBlank() ? "UTC" : zone.strip());
            } catch (DateTimeException e) {
                throw new IllegalArgumentException("zone \"" + zone + "\" is not a time zone (such as UTC, Europe/Berlin)");
            }
            return new Settings(n, c, d, z, Scope.tags(tags), spread, null);
        } catch (IllegalArgumentException e) {
            return new Settings(n, null, Duration.ZERO, ZoneId.of("UTC"), Set.of(), spread, e.getMessage());
        }
    }

    /** The window open at {@code now}; empty outside windows. */
    static Optional<Window> current(Settings s, Instant now) {
        int days = (int) s.duration().toDays() + 1;
        return s.cron().previous(now, s.zone(), days).map(o -> new Window(o, o.plus(s.duration())))
                .filter(w -> now.isBefore(w.closes()));
    }

    /** The next window opening after {@code now}. */
    static Optional<Window> next(Settings s, Instant now) {
        return s.cron().next(now, s.zone()).map(o -> new Window(o, o.plus(s.duration())));
    }

    /** A machine's own start offset into each window: [0, duration/2) by a hash of its id, or 0. */
    static Duration offset(Settings s, MachineId machine) {
        if (!s.spread()) {
            return Duration.ZERO;
        }
        long half = s.duration().getSeconds() / 2;
        if (half <= 0) {
            return Duration.ZERO;
        }
        byte[] d = io.patchfleet.model.Sha256.newDigest().digest(("window\n" + machine.value()).getBytes(StandardCharsets.UTF_8));
        long bits = 0;
        for (int i = 0; i < 8; i++) {
            bits = (bits << 8) | (d[i] & 0xff);
        }
        return Duration.ofSeconds(Long.remainderUnsigned(bits, half));
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
        Optional<PatchRelease> newest = ctx.newest();
        if (newest.isEmpty() || newest.get().version() <= ctx.machine().currentPatchVersion()) {
            return Scope.noObjection(ctx); // nothing new: nothing to hold
        }
        Instant now = ctx.now();
        Duration offset = offset(s, ctx.machine().machine().id());
        Optional<Window> open = current(s, now);
        if (open.isPresent()) {
            Instant mine = open.get().opens().plus(offset);
            if (!now.isBefore(mine)) {
                return Scope.noObjection(ctx);
            }
            return Decision.hold("maintenance window " + (s.name().equals("window") ? "" : s.name() + " ")
                    + "opens for this machine at " + format(mine, s), mine);
        }
        Optional<Window> next = next(s, now);
        if (next.isEmpty()) {
            return Decision.hold("maintenance window " + s.name() + " never opens again", Instant.MAX);
        }
        Instant mine = next.get().opens().plus(offset);
        return Decision.hold("maintenance window " + (s.name().equals("window") ? "" : s.name() + " ") + "opens "
                + format(next.get().opens(), s)
                + (offset.isZero() ? "" : " (this machine from " + format(mine, s) + ")"), mine);
    }

    private static String format(Instant t, Settings s) {
        return WHEN.format(t.atZone(s.zone()));
    }

    @Override
    public Optional<String> describe(PatchRelease release, TierName tier, ReleaseRollout rollout, Instant now) {
        Settings s = settings;
        if (s.error() != null) {
            return Optional.of("misconfigured: " + s.error());
        }
        String scope = s.tags().isEmpty() ? "" : " for tags " + s.tags();
        Optional<Window> open = current(s, now);
        if (open.isPresent()) {
            return Optional.of("window open" + scope + " until " + format(open.get().closes(), s));
        }
        return Optional.of("window closed" + scope + "; opens " + next(s, now).map(w -> format(w.opens(), s)).orElse("never"));
    }
}
