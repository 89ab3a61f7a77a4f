package io.patchfleet.rollout.policies.internal;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

import io.patchfleet.model.PatchRelease;
import io.patchfleet.model.TierName;
import io.patchfleet.rollout.api.Decision;
import io.patchfleet.rollout.api.FleetHealth;
import io.patchfleet.rollout.api.HealthHistory;
import io.patchfleet.rollout.api.ReleaseRollout;
import io.patchfleet.rollout.api.RolloutContext;
import io.patchfleet.rollout.api.RolloutControl;
import io.patchfleet.rollout.api.RolloutPolicy;

/**
 * Health gate: the apply-failed, crashed and check-failed rates of a release in the machine's
 * tier, over a sliding window, once at least a minimum number of machines reported an outcome.
 * A breach halts the rollout through {@link RolloutControl} (stored, audited, counted in
 * {@code patchfleet_rollout_halts_total{by="gate"}}, shown by {@code admin rollout status}),
 * optionally telling machines that applied it to go back to the previous patch; only an admin
 * resumes it. Until the halt is in place the gate itself holds the release back.
 *
 * <p>The verdict per rollout is kept for a second of check-in time, so a busy tier does not
 * sum the window's buckets on every check-in.
 */
@Component(configurationPid = HealthGatePolicy.PID, configurationPolicy = ConfigurationPolicy.REQUIRE,
        property = "patchfleet.rollout.policy=healthgate")
@Designate(ocd = HealthGatePolicy.Config.class, factory = true)
public class HealthGatePolicy implements RolloutPolicy {
    static final String PID = "io.patchfleet.rollout.healthgate";

    @ObjectClassDefinition(name = "Patchfleet rollout policy: health gate",
            description = "Halts a release whose failure rates over a sliding window pass their limits")
    public @interface Config {
        @AttributeDefinition(description = "A name for status, reasons and the audit log; empty: healthgate")
        String name() default "";

        @AttributeDefinition(description = "Tiers this gate watches; empty: all tiers")
        String[] tiers() default {};

        @AttributeDefinition(description = "Place in the chain: lower is asked first")
        int order() default 10;

        @AttributeDefinition(description = "Sliding window (such as 1h, 30m); at most 48h")
        String window() default "1h";

        @AttributeDefinition(description = "Machines with an outcome in the window before any rate counts", min = "1")
        int min_sample() default 20;

        @AttributeDefinition(description = "Most apply-failed machines, percent of the sample", min = "0", max = "100")
        double max_apply_failed_percent() default 5.0;

        @AttributeDefinition(description = "Most crashed machines (kernel bug after apply, crash guard), percent", min = "0", max = "100")
        double max_crashed_percent() default 1.0;

        @AttributeDefinition(description = "Most check-failed machines after the offer, percent", min = "0", max = "100")
        double max_check_failed_percent() default 10.0;

        @AttributeDefinition(description = "On a breach, move machines that applied it back to the previous patch")
        boolean revert() default false;
    }

    record Settings(String name, Duration window, int minSample, double maxApplyFailed, double maxCrashed,
            double maxCheckFailed, boolean revert, String error) {}

    /** A verdict and what it was computed from: a resumed rollout has a new history, so the verdict is not reused. */
    private record Verdict(Instant at, HealthHistory history, Optional<String> breach) {}

    private final RolloutControl control;
    private volatile Settings settings;
    private final Map<String, Verdict> verdicts = new ConcurrentHashMap<>();

    @Activate
    public HealthGatePolicy(@Reference RolloutControl control, Config c) {
        this.control = control;
        this.settings = settings(c);
    }

    HealthGatePolicy(RolloutControl control, Settings settings) {
        this.control = control;
        this.settings = settings;
    }

    @Modified
    void modified(Config c) {
        this.settings = settings(c);
        verdicts.clear();
    }

    static Settings settings(Config c) {
        return settings(c.name(), c.window(), c.min_sample(), c.max_apply_failed_percent(), c.max_crashed_percent(),
                c.max_check_failed_percent(), c.revert());
    }

    static Settings settings(String name, String window, int minSample, double maxApplyFailed, double maxCrashed,
            double maxCheckFailed, boolean revert) {
        String n = Scope.name(name, "healthgate");
        try {
            Duration w = Durations.parse(window, "window");
            if (w.isZero() || w.compareTo(Duration.ofHours(HealthHistory.HORIZON_HOURS)) > 0) {
                throw new IllegalArgumentException("window must be more than 0 and at most " + HealthHistory.HORIZON_HOURS + "h");
            }
            if (minSample < 1) {
                throw new IllegalArgumentException("min.sample must be at least 1");
            }
            for (double p : new double[] {maxApplyFailed, maxCrashed, maxCheckFailed}) {
                if (!(p >= 0 && p <= 100)) {
                    throw new IllegalArgumentException("rate limits are percents from 0 to 100");
                }
            }
            return new Settings(n, w, minSample, maxApplyFailed, maxCrashed, maxCheckFailed, revert, null);
        } catch (IllegalArgumentException e) {
            return new Settings(n, Duration.ofHours(1), 1, 0, 0, 0, revert, e.getMessage());
        }
    }

    /** The breach text, or empty when the window is healthy or the sample too small. */
    static Optional<String> breach(Settings s, FleetHealth h) {
        if (h.sample() < s.minSample()) {
            return Optional.empty();
        }
        String window = Durations.format(s.window());
        if (h.crashedRate() * 100 > s.maxCrashed()) {
            return Optional.of(text("crashed", h.crashed(), h, s.maxCrashed(), window));
        }
        if (h.applyFailedRate() * 100 > s.maxApplyFailed()) {
            return Optional.of(text("failed to apply it", h.applyFailed(), h, s.maxApplyFailed(), window));
        }
        if (h.checkFailedRate() * 100 > s.maxCheckFailed()) {
            return Optional.of(text("failed their check", h.checkFailed(), h, s.maxCheckFailed(), window));
        }
        return Optional.empty();
    }

    private static String text(String what, long n, FleetHealth h, double limit, String window) {
        return String.format(java.util.Locale.ROOT, "health gate: %d of %d machines %s in the last %s (%.1f %%, limit %s %%)",
                n, h.sample(), what, window, 100.0 * n / h.sample(), trim(limit));
    }

    private static String trim(double d) {
        return d == Math.rint(d) ? String.valueOf((long) d) : String.valueOf(d);
    }

    private Optional<String> verdict(Settings s, PatchRelease r, TierName tier, ReleaseRollout rollout, Instant now) {
        String key = r.kernel() + "#" + r.version() + "@" + tier.value();
        Verdict v = verdicts.get(key);
        if (v != null && v.history() == rollout.history() && !now.isBefore(v.at()) && now.isBefore(v.at().plusSeconds(1))) {
            return v.breach();
        }
        Optional<String> b = breach(s, rollout.healthSince(now.minus(s.window())));
        verdicts.put(key, new Verdict(now, rollout.history(), b));
        return b;
    }

    @Override
    public Decision decide(RolloutContext ctx) {
        Settings s = settings;
        if (s.error() != null) {
            return Scope.misconfigured(s.name(), s.error(), ctx);
        }
        TierName tier = ctx.machine().machine().tier();
        long running = ctx.machine().currentPatchVersion();
        PatchRelease best = null;
        String firstBreach = null;
        for (int i = ctx.candidates().size() - 1; i >= 0; i--) {
            PatchRelease r = ctx.candidates().get(i);
            Optional<String> b = verdict(s, r, tier, ctx.rollout(r), ctx.now());
            if (b.isPresent()) {
                control.halt(r.kernel(), r.version(), tier, "healthgate:" + s.name(), b.get(), s.revert());
                if (firstBreach == null) {
                    firstBreach = "patch " + r.version() + " halted by " + b.get();
                }
                if (r.version() == running && s.revert()) {
                    return Decision.revert(firstBreach);
                }
                continue;
            }
            best = r;
            break;
        }
        if (firstBreach == null) {
            return Scope.noObjection(ctx);
        }
        if (best != null && best.version() > running) {
            return Decision.offer(best);
        }
        if (best != null && best.version() == running) {
            return Decision.offer(best);
        }
        return Decision.hold(firstBreach, Instant.MAX);
    }

    @Override
    public Optional<String> describe(PatchRelease release, TierName tier, ReleaseRollout rollout, Instant now) {
        Settings s = settings;
        if (s.error() != null) {
            return Optional.of("misconfigured: " + s.error());
        }
        FleetHealth h = rollout.healthSince(now.minus(s.window()));
        Optional<String> b = breach(s, h);
        if (b.isPresent()) {
            return Optional.of("breached: " + b.get());
        }
        if (h.sample() < s.minSample()) {
            return Optional.of("collecting: " + h.sample() + " of " + s.minSample() + " machines with an outcome in the last "
                    + Durations.format(s.window()));
        }
        return Optional.of(String.format(java.util.Locale.ROOT,
                "healthy: %d machines in the last %s; apply-failed %.1f %%, crashed %.1f %%, check-failed %.1f %%",
                h.sample(), Durations.format(s.window()), h.applyFailedRate() * 100, h.crashedRate() * 100,
                h.checkFailedRate() * 100));
    }
}
