package io.patchfleet.rollout.policies.internal;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import io.patchfleet.model.KernelId;
import io.patchfleet.model.Machine;
import io.patchfleet.model.MachineId;
import io.patchfleet.model.PatchRelease;
import io.patchfleet.model.PatchState;
import io.patchfleet.model.Sha256;
import io.patchfleet.model.TierName;
import io.patchfleet.rollout.api.FleetHealth;
import io.patchfleet.rollout.api.HealthHistory;
import io.patchfleet.rollout.api.MachineView;
import io.patchfleet.rollout.api.ReleaseRollout;
import io.patchfleet.rollout.api.RolloutContext;
import io.patchfleet.rollout.api.RolloutState;

/** Contexts for policy tests: every time is given, no clock is read. */
final class Fixtures {
    static final KernelId KERNEL = KernelId.of("6.1.0-56-amd64", "x86_64", "");
    static final Instant T0 = Instant.parse("2026-11-25T12:00:00Z");
    static final TierName EDGE = TierName.of("edge");

    private Fixtures() {}

    static PatchRelease release(long v, Instant published) {
        return new PatchRelease(KERNEL, v, "lkp_" + v, "6.1.0-56-amd64/x86_64/lkp_" + v + ".ko",
                Sha256.digestOf(new byte[] {(byte) v}), 10, List.of(), "", published, v - 1, false);
    }

    static PatchRelease release(long v) {
        return release(v, T0);
    }

    static MachineId id(int n) {
        return MachineId.of(String.format("%032x", n));
    }

    static Machine machine(int n, String... tags) {
        return new Machine(id(n), EDGE, Set.of(tags), T0);
    }

    /** A context builder. */
    static final class Ctx {
        Machine machine = Fixtures.machine(1);
        long running;
        final List<PatchRelease> candidates = new ArrayList<>();
        final Map<Long, ReleaseRollout> rollouts = new HashMap<>();
        Instant now = T0;

        Ctx machine(Machine m) {
            machine = m;
            return this;
        }

        Ctx running(long v) {
            running = v;
            return this;
        }

        Ctx at(Instant t) {
            now = t;
            return this;
        }

        Ctx candidate(PatchRelease r) {
            return candidate(r, ReleaseRollout.fresh(r.version(), T0));
        }

        Ctx candidate(PatchRelease r, ReleaseRollout rollout) {
            candidates.add(r);
            rollouts.put(r.version(), rollout);
            return this;
        }

        RolloutContext build() {
            return new RolloutContext(new MachineView(machine, KERNEL, running,
                    running > 0 ? PatchState.APPLIED : PatchState.UNAPPLIED, List.of()), candidates, rollouts, now);
        }
    }

    static Ctx ctx() {
        return new Ctx();
    }

    static ReleaseRollout rollout(long v, Instant availableSince, Optional<Instant> approvedAt, int advanced) {
        return new ReleaseRollout(v, RolloutState.ACTIVE, Optional.empty(), availableSince, approvedAt, advanced,
                Optional.empty(), HealthHistory.NONE);
    }

    static ReleaseRollout rollout(long v, HealthHistory history) {
        return new ReleaseRollout(v, RolloutState.ACTIVE, Optional.empty(), T0, Optional.empty(), 0, Optional.empty(),
                history);
    }

    /** Outcomes at given times: a history that honours its window. */
    static final class Outcomes implements HealthHistory {
        record O(Instant at, String kind) {}

        final List<O> list = new ArrayList<>();

        Outcomes add(int n, String kind, Instant at) {
            for (int i = 0; i < n; i++) {
                list.add(new O(at, kind));
            }
            return this;
        }

        @Override
        public FleetHealth since(Instant from) {
            long[] c = new long[4];
            for (O o : list) {
                if (!o.at().isBefore(from)) {
                    c[switch (o.kind()) {
                        case "applied" -> 0;
                        case "apply-failed" -> 1;
                        case "crashed" -> 2;
                        default -> 3;
                    }]++;
                }
            }
            return new FleetHealth(list.size(), c[0], c[1], c[2], c[3]);
        }
    }
}
