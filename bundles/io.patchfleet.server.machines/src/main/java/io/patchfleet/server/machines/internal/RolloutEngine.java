package io.patchfleet.server.machines.internal;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

import org.osgi.framework.Constants;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.patchfleet.rollout.api.Decision;
import io.patchfleet.rollout.api.RolloutContext;
import io.patchfleet.rollout.api.RolloutPolicy;

/**
 * Asks every installed rollout policy (DESIGN.md §4) and keeps the strictest answer. Policies
 * are whiteboard services that come and go at run time; the list is swapped as a whole, so a
 * check-in always sees a complete set and a swap never stalls one. A policy that throws, answers
 * null, or offers something that is not a candidate counts as "hold: policy error" for that
 * check-in: a broken plugin holds patches back, it never pushes one out. With no policy
 * installed at all, nothing is offered.
 */
@Component(service = RolloutEngine.class)
public class RolloutEngine {
    private static final Logger LOG = LoggerFactory.getLogger(RolloutEngine.class);

    private record Entry(RolloutPolicy policy, String name, int ranking, long id) {}

    private volatile List<Entry> policies = List.of();

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    synchronized void addPolicy(RolloutPolicy policy, Map<String, Object> props) {
        List<Entry> copy = new ArrayList<>(policies);
        Object name = props.getOrDefault("patchfleet.rollout.policy", props.get("component.name"));
        int ranking = props.get(Constants.SERVICE_RANKING) instanceof Integer r ? r : 0;
        copy.add(new Entry(policy, String.valueOf(name), ranking, (Long) props.get(Constants.SERVICE_ID)));
        copy.sort(Comparator.comparingInt(Entry::ranking).reversed().thenComparingLong(Entry::id));
        policies = List.copyOf(copy);
        LOG.info("Rollout policy {} installed; policies now {}", name, names());
    }

    synchronized void removePolicy(RolloutPolicy policy) {
        List<Entry> copy = new ArrayList<>(policies);
        copy.removeIf(e -> e.policy() == policy); // by identity
        policies = List.copyOf(copy);
        LOG.info("Rollout policy removed; policies now {}", names());
    }

    List<String> names() {
        return policies.stream().map(Entry::name).toList();
    }

    Decision decide(RolloutContext ctx) {
        List<Entry> current = policies;
        if (current.isEmpty()) {
            return Decision.hold("no rollout policy is installed on this server", ctx.now());
        }
        List<Decision> answers = new ArrayList<>(current.size());
        for (Entry e : current) {
            Decision d;
            try {
                d = e.policy().decide(ctx);
                if (d == null || (d instanceof Decision.Offer offer && !ctx.candidates().contains(offer.release()))) {
                    LOG.warn("Rollout policy {} answered {}; counted as a hold", e.name(), d == null ? "null" : "a non-candidate");
                    d = Decision.policyError(e.name(), ctx);
                }
            } catch (RuntimeException ex) {
                LOG.warn("Rollout policy {} failed: {}; counted as a hold", e.name(), ex.toString());
                d = Decision.policyError(e.name(), ctx);
            }
            answers.add(d);
        }
        return Decision.strictest(answers);
    }
}
