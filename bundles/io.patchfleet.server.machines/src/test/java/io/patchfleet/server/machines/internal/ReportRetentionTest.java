package io.patchfleet.server.machines.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.annotation.Annotation;
import java.lang.reflect.Proxy;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import io.patchfleet.store.api.MachineStore;

class ReportRetentionTest {

    @Test
    void deletesReportsOlderThanTheConfiguredDays() throws Exception {
        List<Instant> cutoffs = new ArrayList<>();
        MachineStore store = (MachineStore) Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] {MachineStore.class}, (proxy, method, args) -> {
                    if (method.getName().equals("deleteReportsBefore")) {
                        cutoffs.add((Instant) args[0]);
                        return 42L;
                    }
                    throw new UnsupportedOperationException(method.getName());
                });
        ReportRetention.Config config = new ReportRetention.Config() {
            @Override
            public Class<? extends Annotation> annotationType() {
                return ReportRetention.Config.class;
            }

            @Override
            public int report_retention_days() {
                return 3;
            }

            @Override
            public int interval_minutes() {
                return 60;
            }
        };
        ReportRetention retention = new ReportRetention(store, config);
        try {
            Instant now = Instant.parse("2026-11-25T12:00:00Z");
            assertEquals(42, retention.run(now));
            assertEquals(List.of(Instant.parse("2026-11-22T12:00:00Z")), cutoffs);
        } finally {
            retention.deactivate();
        }
    }
}
