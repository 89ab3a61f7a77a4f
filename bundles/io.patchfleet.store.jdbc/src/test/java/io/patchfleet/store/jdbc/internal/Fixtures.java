package io.patchfleet.store.jdbc.internal;

import io.patchfleet.model.Cve;
import io.patchfleet.model.KernelId;
import io.patchfleet.model.MachineEvent;
import io.patchfleet.model.MachineId;
import io.patchfleet.model.MachineReport;
import io.patchfleet.model.PatchRelease;
import io.patchfleet.model.PatchState;
import io.patchfleet.model.Severity;
import io.patchfleet.model.Sha256;
import io.patchfleet.store.api.StoredReport;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/** Values shared by the store tests. */
final class Fixtures {
    static final Instant T0 = Instant.parse("2026-03-01T10:00:00Z");
    static final KernelId K1 = KernelId.of("5.15.0-91-generic", "x86_64", "#101-Ubuntu SMP Tue Nov 14 13:30:08 UTC 2023");
    static final KernelId K2 = KernelId.of("6.1.0-13-cloud-amd64", "x86_64", "");

    private Fixtures() {}

    static Database open(Path dir, TestClock clock) throws Exception {
        return new Database(Database.Settings.embedded(dir), clock);
    }

    static PatchRelease release(KernelId kernel, long version) {
        return new PatchRelease(kernel, version, "lkp_" + version, "modules/" + kernel.release() + "/lkp_" + version + ".ko",
                Sha256.digestOf(("m" + kernel + version).getBytes()), 1000 + version,
                List.of(new Cve("CVE-2026-" + (1000 + version), Severity.HIGH), new Cve("CVE-2025-0001", Severity.LOW)),
                "fixes " + version, T0.minusSeconds(3600).plusNanos(123_456_000), version - 1, false);
    }

    static StoredReport report(MachineId id, KernelId kernel, PatchState state, long version, Instant at,
            MachineEvent... events) {
        return new StoredReport(new MachineReport(id, kernel, state, version, "1.0.0", T0.minusSeconds(86_400),
                Duration.ofHours(24), List.of(events)), at);
    }

    /** Waits (up to 60 s) until the database's fleet index has loaded every machine. */
    static void awaitIndex(Database db) throws InterruptedException {
        long deadline = System.nanoTime() + java.time.Duration.ofSeconds(60).toNanos();
        while (!db.fleet().complete()) {
            org.junit.jupiter.api.Assertions.assertTrue(System.nanoTime() < deadline, "fleet index not loaded within 60 s");
            Thread.sleep(10);
        }
    }
}
