package io.patchfleet.server.machines.internal;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

import io.patchfleet.store.api.AuditEntry;
import io.patchfleet.store.api.AuditLog;
import io.patchfleet.store.api.RolloutRecord;
import io.patchfleet.store.api.RolloutStore;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

/** In-memory stores for unit tests of the rollout engine (the JDBC store has its own tests). */
final class RolloutFakes {
    private RolloutFakes() {}

    static final class MemoryRolloutStore implements RolloutStore {
        final Map<RolloutKey, RolloutRecord> rows = new ConcurrentHashMap<>();

        @Override
        public List<RolloutRecord> all() {
            return new ArrayList<>(rows.values());
        }

        @Override
        public RolloutRecord createIfAbsent(RolloutRecord record) {
            RolloutRecord had = rows.putIfAbsent(RolloutRegistry.key(record), record);
            return had == null ? record : had;
        }

        @Override
        public void save(RolloutRecord record) {
            rows.put(RolloutRegistry.key(record), record);
        }
    }

    static final class MemoryAudit implements AuditLog {
        final List<AuditEntry> entries = new CopyOnWriteArrayList<>();

        @Override
        public AuditEntry append(String actor, String action, String target, String before, String after) {
            AuditEntry e = new AuditEntry(entries.size() + 1, Instant.now(), actor, action, target, before, after);
            entries.add(e);
            return e;
        }

        @Override
        public List<AuditEntry> entries(long afterId, int limit) {
            return entries.stream().filter(e -> e.id() > afterId).limit(limit).toList();
        }
    }

    static RolloutRegistry registry(MemoryRolloutStore store, MemoryAudit audit, Instant now) {
        return new RolloutRegistry(store, audit, new PrometheusRegistry(), Clock.fixed(now, ZoneOffset.UTC), false);
    }
}
