package io.patchfleet.server.machines.internal;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.osgi.framework.Constants;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.patchfleet.model.Machine;
import io.patchfleet.model.MachineId;
import io.patchfleet.model.MachineReport;
import io.patchfleet.model.PatchRelease;
import io.patchfleet.model.TierName;
import io.patchfleet.rollout.api.Decision;
import io.patchfleet.rollout.api.MachineView;
import io.patchfleet.rollout.api.ReleaseRollout;
import io.patchfleet.rollout.api.RolloutContext;
import io.patchfleet.rollout.api.RolloutPolicy;
import io.patchfleet.store.api.RolloutRecord;

/**
 * The rollout engine (DESIGN.md §4): for one check-in, applies what admins and gates decided
 * about each candidate's rollout, asks every policy configured for the machine's tier in their
 * configured order, and keeps the strictest answer.
 *
 * <p><b>The chain.</b> Policies are whiteboard services that come and go at run time. Each may
 * carry the service properties {@code tiers} (the tiers it applies to; none: all) and
 * {@code order} (lower first; then service ranking, higher first; then service id). The chain
 * is an immutable list replaced as a whole on every change (added, removed, properties
 * modified), and a check-in reads it once: every decision comes from one whole chain, and a
 * swap never waits for or stalls a check-in. A policy that throws, answers null, or offers
 * something that is not a candidate counts as "hold: policy error" for that check-in: a broken
 * plugin holds patches back, it never pushes one out. With no policy for the tier, nothing is
 * offered.
 *
 * <p><b>Admin state comes first.</b> A halted release is not a candidate (machines running it
 * keep it, or fall back to the previous patch when the halt says revert); a paused release is a
 * candidate only for the machines that already run it. Policies never see either as offerable,
 * so no policy can override a pause or an abort.
 */
@Component(service = RolloutEngine.class)
public class RolloutEngine {
    private static final Logger LOG = LoggerFactory.getLogger(RolloutEngine.class);

    /** One policy of the chain with its sort keys and scope. */
    record Entry(RolloutPolicy policy, String name, int order, int ranking, long id, Set<String> tiers) {
        boolean appliesTo(TierName tier) {
            return tiers.isEmpty() || tiers.contains(tier.value());
        }
    }

    /** What a machine was last told when held, for {@code admin rollout status}. */
    record Held(TierName tier, String reason) {}

    private static final Comparator<Entry> ORDER = Comparator.comparingInt(Entry::order)
            .thenComparing(Comparator.comparingInt(Entry::ranking).reversed()).thenComparingLong(Entry::id);

    private final RolloutRegistry registry;
    private volatile List<Entry> policies = List.of();
    private final Map<MachineId, Held> held = new ConcurrentHashMap<>();

    @Activate
    public RolloutEngine(@Reference RolloutRegistry registry) {
        this.registry = registry;
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC, updated = "updatedPolicy")
    synchronized void addPolicy(RolloutPolicy policy, Map<String, Object> props) {
        List<Entry> copy = new ArrayList<>(policies);
        copy.add(entry(policy, props));
        copy.sort(ORDER);
        policies = List.copyOf(copy);
        LOG.info("Rollout policy {} installed; chain now {}", copy.stream().filter(e -> e.policy() == policy)
                .findFirst().map(Entry::name).orElse("?"), names());
    }

    synchronized void updatedPolicy(RolloutPolicy policy, Map<String, Object> props) {
        List<Entry> copy = new ArrayList<>(policies);
        copy.replaceAll(e -> e.policy() == policy ? entry(policy, props) : e); // by identity
        copy.sort(ORDER);
        policies = List.copyOf(copy);
        LOG.info("Rollout policy reconfigured; chain now {}", names());
    }

    synchronized void removePolicy(RolloutPolicy policy) {
        List<Entry> copy = new ArrayList<>(policies);
        copy.removeIf(e -> e.policy() == policy); // by identity
        policies = List.copyOf(copy);
        LOG.info("Rollout policy removed; chain now {}", names());
    }

    private static Entry entry(RolloutPolicy policy, Map<String, Object> props) {
        // The configured name first (what an admin called this instance), then the kind, then the PID.
        Object name = props.get("name");
        if (name == null || String.valueOf(name).isBlank()) {
            name = props.get("patchfleet.rollout.policy");
        }
        if (name == null) {
            Object pid = props.get(Constants.SERVICE_PID);
            name = pid != null ? pid : props.getOrDefault("component.name", "policy#" + props.get(Constants.SERVICE_ID));
        }
        int ranking = props.get(Constants.SERVICE_RANKING) instanceof Integer r ? r : 0;
        int order = intProperty(props.get("order"));
        Object id = props.get(Constants.SERVICE_ID);
        return new Entry(policy, String.valueOf(name), order, ranking, id instanceof Long l ? l : 0L, tiers(props.get("tiers")));
    }

    private static int intProperty(Object v) {
        if (v instanceof Number n) {
            return n.intValue();
        }
        if (v instanceof String s && !s.isBlank()) {
            try {
                return Integer.parseInt(s.trim());
            } catch (NumberFormatException e) {
                return 0;
            }
        }
        return 0;
    }

    private static Set<String> tiers(Object v) {
        List<String> out = new ArrayList<>();
        if (v instanceof String s) {
            for (String part : s.split(",")) {
                out.add(part.trim());
            }
        } else if (v instanceof String[] a) {
            for (String s : a) {
                out.add(s.trim());
            }
        } else if (v instanceof Collection<?> c) {
            c.forEach(o -> out.add(String.valueOf(o).trim()));
        }
        out.removeIf(String::isEmpty);
        return Set.copyOf(out);
    }

    /** The chain as it stands, for status and logs. */
    List<Entry> chain() {
        return policies;
    }

    List<String> names() {
        return policies.stream().map(e -> e.name() + (e.tiers().isEmpty() ? "" : e.tiers().toString())).toList();
    }

    Map<MachineId, Held> held() {
        return held;
    }

    RolloutRegistry registry() {
        return registry;
    }

    /**
     * Decides for one check-in: admin state, then the chain; notes the outcome of the machine's
     * report, the offer and the held reason.
     *
     * @param candidates the non-revoked releases for the machine's kernel available to its tier
     */
    Decision evaluate(Machine machine, MachineReport report, List<PatchRelease> candidates, Instant now) {
        TierName tier = machine.tier();
        long running = report.patchVersion();
        registry.health().observe(report, version -> {
            for (PatchRelease r : candidates) {
                if (r.version() == version) {
                    return new RolloutKey(r.kernel(), version, tier);
                }
            }
            return new RolloutKey(report.kernel(), version, tier);
        }, now);

        Map<Long, ReleaseRollout> rollouts = new HashMap<>();
        List<PatchRelease> offerable = new ArrayList<>(candidates.size());
        RolloutRecord blocked = null; // the newest candidate kept from the chain, for the reason
        RolloutRecord runningHalted = null;
        for (PatchRelease r : candidates) {
            RolloutKey key = new RolloutKey(r.kernel(), r.version(), tier);
            RolloutRecord rec = registry.record(key, now);
            rollouts.put(r.version(), registry.view(key, rec));
            boolean halted = rec.state().equals("halted");
            boolean paused = rec.state().equals("paused");
            if (halted && r.version() == running) {
                runningHalted = rec;
            }
            if (halted || (paused && r.version() != running)) {
                blocked = rec;
            } else {
                offerable.add(r);
            }
        }
        MachineView view = new MachineView(machine, report.kernel(), running, report.patchState(), List.of());
        Decision answer;
        if (offerable.isEmpty() && blocked != null) {
            if (runningHalted != null && runningHalted.revert()) {
                answer = Decision.revert(reason(runningHalted));
            } else {
                answer = Decision.hold(reason(blocked), Instant.MAX);
            }
        } else {
            answer = decide(new RolloutContext(view, offerable, rollouts, now));
            if (runningHalted != null && !runningHalted.revert()
                    && (answer instanceof Decision.Revert || answer instanceof Decision.Offer o && o.release().version() < running)) {
                // Halted without revert: the machine keeps the patch it runs rather than going back.
                answer = Decision.hold(reason(runningHalted) + "; keeping patch " + running, Instant.MAX);
            }
        }
        if (answer instanceof Decision.Offer offer) {
            held.remove(machine.id());
            if (offer.release().version() != running) {
                RolloutKey key = new RolloutKey(offer.release().kernel(), offer.release().version(), tier);
                registry.health().offered(machine.id(), key);
                registry.started(key, now);
            }
        } else if (answer instanceof Decision.Hold hold) {
            Held h = held.get(machine.id());
            if (h == null || !h.reason().equals(hold.reason()) || !h.tier().equals(tier)) {
                held.put(machine.id(), new Held(tier, hold.reason()));
            }
        } else {
            held.remove(machine.id());
        }
        return answer;
    }

    private static String reason(RolloutRecord r) {
        return "rollout of patch " + r.version() + " to tier " + r.tier().value() + " is " + r.state()
                + (r.cause().isEmpty() ? "" : " (" + r.cause() + ")");
    }

    /**
     * Asks the chain for the machine's tier; the strictest answer wins.
     *
     * <p>An offer means "the newest candidate this policy allows". Offers of different releases
     * are not simply combined by taking the lowest: a policy that allows release 2 to a machine
     * need not allow release 1 (each release has its own waves). So when the policies offer
     * different releases, the chain is asked again with only the candidates up to the lowest
     * offer, until every policy offers the same release or one holds or reverts — the newest
     * release every policy allows. Disagreement is rare (a delay, a pin, a gate), and each round
     * drops at least one candidate.
     */
    Decision decide(RolloutContext ctx) {
        List<Entry> current = policies; // read once: one whole chain per decision
        TierName tier = ctx.machine().machine().tier();
        RolloutContext round = ctx;
        while (true) {
            List<Decision> answers = new ArrayList<>(current.size());
            for (Entry e : current) {
                if (!e.appliesTo(tier)) {
                    continue;
                }
                answers.add(ask(e, round));
            }
            if (answers.isEmpty()) {
                return Decision.hold("no rollout policy applies to tier " + tier.value() + " on this server", ctx.now());
            }
            Decision strictest = Decision.strictest(answers);
            if (!(strictest instanceof Decision.Offer lowest)) {
                return strictest;
            }
            boolean agreed = answers.stream().allMatch(d -> ((Decision.Offer) d).release().equals(lowest.release()));
            if (agreed) {
                return strictest;
            }
            long max = lowest.release().version();
            List<PatchRelease> fewer = round.candidates().stream().filter(r -> r.version() <= max).toList();
            round = new RolloutContext(round.machine(), fewer, round.rollouts(), round.now());
        }
    }

    private static Decision ask(Entry e, RolloutContext ctx) {
        try {
            Decision d = e.policy().decide(ctx);
            if (d == null || (d instanceof Decision.Offer offer && !ctx.candidates().contains(offer.release()))) {
                LOG.warn("Rollout policy {} answered {}; counted as a hold", e.name(), d == null ? "null" : "a non-candidate");
                return Decision.policyError(e.name(), ctx);
            }
            return d;
        } catch (RuntimeException ex) {
            LOG.warn("Rollout policy {} failed: {}; counted as a hold", e.name(), ex.toString());
            return Decision.policyError(e.name(), ctx);
        }
    }

    /** What each policy of a tier's chain says about a rollout, for status. */
    Map<String, String> describe(PatchRelease release, TierName tier, ReleaseRollout rollout, Instant now) {
        Map<String, String> out = new LinkedHashMap<>();
        for (Entry e : policies) {
            if (!e.appliesTo(tier)) {
                continue;
            }
            try {
                Optional<String> line = e.policy().describe(release, tier, rollout, now);
                line.ifPresent(l -> out.put(e.name(), l));
            } catch (RuntimeException ex) {
                out.put(e.name(), "describe failed: " + ex);
            }
        }
        return out;
    }
}
