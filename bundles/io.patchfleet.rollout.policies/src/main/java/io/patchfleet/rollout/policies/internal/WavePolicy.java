package io.patchfleet.rollout.policies.internal;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

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
 * Waves: the share of a tier's machines a release is offered to grows by a schedule of
 * (time, percent) steps. Which machines are in the first percent comes from a stable hash of
 * (release, machine id): random with respect to enrollment order, the same on every server node
 * and after every restart, and a newly enrolled machine falls into the wave its hash says.
 *
 * <p>The schedule starts when the release became available to the tier, or, with
 * {@code approval.required}, when an admin approved it ({@code admin rollout approve}); until
 * then nobody gets it. {@code admin rollout advance} moves a rollout one step ahead of its
 * schedule. A machine outside the current wave keeps what it runs, or gets the newest older
 * release whose wave it is in.
 */
@Component(configurationPid = WavePolicy.PID, configurationPolicy = ConfigurationPolicy.REQUIRE,
        property = "patchfleet.rollout.policy=waves")
@Designate(ocd = WavePolicy.Config.class, factory = true)
public class WavePolicy implements RolloutPolicy {
    static final String PID = "io.patchfleet.rollout.waves";

    @ObjectClassDefinition(name = "Patchfleet rollout policy: waves",
            description = "Exposure of each release grows by (time since start = percent) steps; cohorts by a stable hash")
    public @interface Config {
        @AttributeDefinition(description = "A name for status and reasons; empty: waves")
        String name() default "";

        @AttributeDefinition(description = "Tiers this policy applies to; empty: all tiers")
        String[] tiers() default {};

        @AttributeDefinition(description = "Place in the chain: lower is asked first")
        int order() default 20;

        @AttributeDefinition(description = "Steps as OFFSET=PERCENT, offsets from the start (0, 30m, 4h, 1d), "
                + "increasing; percents 0-100, not decreasing; e.g. 0=5, 4h=25, 1d=100")
        String[] steps() default {"0=10", "4h=50", "1d=100"};

        @AttributeDefinition(description = "The first wave waits for 'admin rollout approve'")
        boolean approval_required() default false;
    }

    /** One step: from {@code offset} after the start, {@code percent} of machines are exposed. */
    record Step(Duration offset, double percent) {}

    /** Validated settings, or the error that made them invalid. */
    record Settings(String name, List<Step> steps, boolean approvalRequired, String error) {}

    private volatile Settings settings;

    @Activate
    public WavePolicy(Config config) {
        this.settings = settings(config.name(), config.steps(), config.approval_required());
    }

    @Modified
    void modified(Config config) {
        this.settings = settings(config.name(), config.steps(), config.approval_required());
    }

    WavePolicy(Settings settings) {
        this.settings = settings;
    }

    static Settings settings(String name, String[] steps, boolean approvalRequired) {
        String n = Scope.name(name, "waves");
        try {
            return new Settings(n, steps(steps), approvalRequired, null);
        } catch (IllegalArgumentException e) {
            return new Settings(n, List.of(), approvalRequired, e.getMessage());
        }
    }

    static List<Step> steps(String[] config) {
        List<String> raw = Scope.list(config);
        if (raw.isEmpty()) {
            throw new IllegalArgumentException("steps: at least one OFFSET=PERCENT step is required");
        }
        List<Step> out = new ArrayList<>();
        for (String s : raw) {
            int eq = s.indexOf('=');
            if (eq < 0) {
                throw new IllegalArgumentException("steps: \"" + s + "\" is not OFFSET=PERCENT (such as 4h=25)");
            }
            String off = s.substring(0, eq).strip();
            Duration offset = off.equals("0") ? Duration.ZERO : Durations.parse(off, "steps offset");
            double percent;
            try {
                percent = Double.parseDouble(s.substring(eq + 1).strip().replace("%", ""));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("steps: \"" + s + "\" has no percent after '='");
            }
            if (!(percent >= 0 && percent <= 100)) {
                throw new IllegalArgumentException("steps: percent must be 0-100 in \"" + s + "\"");
            }
            if (!out.isEmpty()) {
                Step prev = out.get(out.size() - 1);
                if (offset.compareTo(prev.offset()) <= 0) {
                    throw new IllegalArgumentException("steps: offsets must increase (\"" + s + "\")");
                }
                if (percent < prev.percent()) {
                    throw new IllegalArgumentException("steps: percents must not decrease (\"" + s + "\")");
                }
            }
            out.add(new Step(offset, percent));
        }
        return List.copyOf(out);
    }

    /**
     * The machine's place in the release's rollout, in [0, 100): SHA-256 of the release's kernel
     * and version and the machine id. Exposure p % includes the machines below p.
     */
    static double cohort(PatchRelease release, MachineId machine) {
        MessageDigest sha = io.patchfleet.model.Sha256.newDigest();
        String key = release.kernel().release() + "\n" + release.kernel().architecture() + "\n"
                + release.kernel().build() + "\n" + release.version() + "\n" + machine.value();
        byte[] d = sha.digest(key.getBytes(StandardCharsets.UTF_8));
        long bits = ByteBuffer.wrap(d, 0, 8).getLong() >>> 11; // 53 bits: exact in a double
        return bits / (double) (1L << 53) * 100.0;
    }

    /** Where a rollout stands: the current step (index, -1 before the first), its start, when the next begins. */
    record Position(int step, double percent, Optional<Instant> start, Optional<Instant> next, boolean awaitingApproval) {}

    static Position position(Settings s, ReleaseRollout rollout, Instant now) {
        Optional<Instant> start = s.approvalRequired() ? rollout.approvedAt() : Optional.of(rollout.availableSince());
        if (start.isEmpty()) {
            return new Position(-1, 0, Optional.empty(), Optional.empty(), true);
        }
        List<Step> steps = s.steps();
        int byTime = -1;
        for (int i = 0; i < steps.size(); i++) {
            if (!start.get().plus(steps.get(i).offset()).isAfter(now)) {
                byTime = i;
            }
        }
        int step = Math.min(steps.size() - 1, byTime + rollout.advancedSteps());
        double percent = step < 0 ? 0 : steps.get(step).percent();
        Optional<Instant> next = Optional.empty();
        if (step + 1 < steps.size()) {
            // Advancing by hand shifts the rest of the schedule one step: the next step comes at
            // the time the schedule's next step was due.
            next = Optional.of(start.get().plus(steps.get(byTime + 1).offset()));
        }
        return new Position(step, percent, start, next, false);
    }

    /** When a machine at {@code cohort} enters the wave; empty when no scheduled step reaches it. */
    static Optional<Instant> entry(Settings s, Position p, int advanced, double cohort) {
        if (p.awaitingApproval()) {
            return Optional.empty();
        }
        List<Step> steps = s.steps();
        for (int i = Math.max(0, p.step() + 1); i < steps.size(); i++) {
            if (steps.get(i).percent() > cohort) {
                return Optional.of(p.start().get().plus(steps.get(Math.max(0, i - advanced)).offset()));
            }
        }
        return Optional.empty();
    }

    @Override
    public Decision decide(RolloutContext ctx) {
        Settings s = settings;
        if (s.error() != null) {
            return Scope.misconfigured(s.name(), s.error(), ctx);
        }
        List<PatchRelease> candidates = ctx.candidates();
        long running = ctx.machine().currentPatchVersion();
        MachineId machine = ctx.machine().machine().id();
        PatchRelease newest = null;
        Position newestPos = null;
        for (int i = candidates.size() - 1; i >= 0; i--) {
            PatchRelease r = candidates.get(i);
            if (r.version() <= running) {
                break; // what it runs or older: waves never hold a machine back from what it has
            }
            Position p = position(s, ctx.rollout(r), ctx.now());
            if (newest == null) {
                newest = r;
                newestPos = p;
            }
            if (cohort(r, machine) < p.percent()) {
                return Decision.offer(r);
            }
        }
        if (newest == null) {
            return Scope.noObjection(ctx);
        }
        double c = cohort(newest, machine);
        if (newestPos.awaitingApproval()) {
            return Decision.hold("patch " + newest.version() + " awaits approval for tier "
                    + ctx.machine().machine().tier().value() + " (" + s.name() + ")", Instant.MAX);
        }
        Optional<Instant> at = entry(s, newestPos, ctx.rollout(newest).advancedSteps(), c);
        String when = at.map(t -> "from " + t).orElse("in no scheduled wave (admin rollout advance)");
        return Decision.hold("patch " + newest.version() + " reaches this machine's wave " + when,
                at.filter(t -> t.isAfter(ctx.now())).orElse(Instant.MAX));
    }

    @Override
    public Optional<String> describe(PatchRelease release, TierName tier, ReleaseRollout rollout, Instant now) {
        Settings s = settings;
        if (s.error() != null) {
            return Optional.of("misconfigured: " + s.error());
        }
        Position p = position(s, rollout, now);
        if (p.awaitingApproval()) {
            return Optional.of("awaiting approval: no machine is offered it until 'admin rollout approve'");
        }
        String text = "wave " + (p.step() + 1) + " of " + s.steps().size() + ": " + format(p.percent()) + " % exposed"
                + (rollout.advancedSteps() > 0 ? " (advanced " + rollout.advancedSteps() + " by hand)" : "");
        if (p.next().isPresent()) {
            text += "; " + format(s.steps().get(p.step() + 1).percent()) + " % from " + p.next().get();
        }
        return Optional.of(text);
    }

    private static String format(double percent) {
        return percent == Math.rint(percent) ? String.valueOf((long) percent) : String.valueOf(percent);
    }
}
