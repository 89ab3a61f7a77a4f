package io.patchfleet.server.machines.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.Test;

import io.patchfleet.model.KernelId;
import io.patchfleet.model.MachineId;
import io.patchfleet.model.PatchRelease;
import io.patchfleet.model.Tier;
import io.patchfleet.model.TierName;
import io.patchfleet.store.api.PatchCatalog;
import io.patchfleet.store.api.TierStore;

class SoakPromotionTest {
    static final TierName EDGE = TierName.of("edge");
    static final TierName BETA = TierName.of("beta");
    static final Instant T0 = RolloutEngineTest.NOW;

    /** The catalog as promotion uses it: which releases each tier sees; promote moves a release up. */
    static final class Catalog implements PatchCatalog {
        final Map<String, TierName> promotedTo = new HashMap<>();
        final List<PatchRelease> releases = new ArrayList<>();

        void add(PatchRelease r, TierName tier) {
            releases.add(r);
            promotedTo.put(r.kernel() + "#" + r.version(), tier);
        }

        @Override
        public List<PatchRelease> findAvailableTo(TierName tier) {
            int pos = tier.equals(EDGE) ? 0 : 1;
            return releases.stream().filter(r -> (promotedTo.get(r.kernel() + "#" + r.version()).equals(EDGE) ? 0 : 1) >= pos).toList();
        }

        @Override
        public List<PatchRelease> findAll() {
            return List.copyOf(releases);
        }

        @Override
        public boolean promote(KernelId kernel, long version, TierName tier) {
            return !tier.equals(promotedTo.put(kernel + "#" + version, tier));
        }

        @Override public boolean add(PatchRelease release) { throw new UnsupportedOperationException(); }
        @Override public Optional<PatchRelease> find(KernelId kernel, long version) { throw new UnsupportedOperationException(); }
        @Override public List<PatchRelease> findByKernel(KernelId kernel) { throw new UnsupportedOperationException(); }
        @Override public List<PatchRelease> findByRelease(String kernelRelease) { throw new UnsupportedOperationException(); }
        @Override public List<PatchRelease> findAvailable(KernelId kernel, TierName tier) { throw new UnsupportedOperationException(); }
        @Override public boolean revoke(KernelId kernel, long version) { throw new UnsupportedOperationException(); }
        @Override public int promoteAll(TierName from, TierName to) { throw new UnsupportedOperationException(); }
        @Override public Optional<TierName> promotedTo(KernelId kernel, long version) { throw new UnsupportedOperationException(); }
    }

    static final class Tiers implements TierStore {
        @Override public List<Tier> tiers() { return List.of(new Tier(EDGE, 0), new Tier(BETA, 1)); }
        @Override public Optional<Tier> find(TierName name) { return tiers().stream().filter(t -> t.name().equals(name)).findFirst(); }
        @Override public List<Tier> define(List<TierName> ordered) { throw new UnsupportedOperationException(); }
        @Override public List<Tier> create(TierName name, int position) { throw new UnsupportedOperationException(); }
        @Override public List<Tier> delete(TierName name) { throw new UnsupportedOperationException(); }
    }

    @Test
    void aHealthyReleaseIsPromotedAfterItsSoakAndAnUnhealthyOrPausedOneIsNot() throws Exception {
        Catalog catalog = new Catalog();
        PatchRelease v1 = RolloutEngineTest.release(1);
        PatchRelease v2 = RolloutEngineTest.release(2);
        catalog.add(v1, EDGE);
        catalog.add(v2, EDGE);
        RolloutFakes.MemoryAudit audit = new RolloutFakes.MemoryAudit();
        RolloutRegistry registry = RolloutFakes.registry(new RolloutFakes.MemoryRolloutStore(), audit, T0);
        RolloutKey k1 = new RolloutKey(v1.kernel(), 1, EDGE);
        RolloutKey k2 = new RolloutKey(v2.kernel(), 2, EDGE);
        registry.record(k1, T0);
        registry.record(k2, T0);
        HealthTracker health = registry.health();
        for (int i = 0; i < 10; i++) {
            MachineId m = MachineId.of(String.format("%032x", i));
            health.of(k1).record(m, HealthTracker.Outcome.APPLIED, T0.plusSeconds(60));
            health.of(k2).record(m, i < 3 ? HealthTracker.Outcome.APPLY_FAILED : HealthTracker.Outcome.APPLIED, T0.plusSeconds(60));
        }
        SoakPromotion.Settings s = SoakPromotion.settings("", "edge", "beta", "24h", 10, 5);
        assertEquals("edge-beta", s.name());
        SoakPromotion p = new SoakPromotion(catalog, new Tiers(), registry, audit, s);

        assertEquals(List.of(), p.promote(T0.plus(Duration.ofHours(23))), "still soaking");
        assertEquals(List.of(v1), p.promote(T0.plus(Duration.ofHours(24))), "v2 failed on 3 of 10 machines");
        assertEquals(BETA, catalog.promotedTo.get(v1.kernel() + "#1"));
        assertEquals("soak:edge-beta", audit.entries.get(audit.entries.size() - 1).actor());
        assertEquals(List.of(), p.promote(T0.plus(Duration.ofHours(25))), "promoted once");

        assertThrows(IllegalArgumentException.class, () -> SoakPromotion.settings("", "edge", "", "24h", 10, 5));
        assertThrows(IllegalArgumentException.class, () -> SoakPromotion.settings("", "edge", "beta", "a day", 10, 5));
    }
}
