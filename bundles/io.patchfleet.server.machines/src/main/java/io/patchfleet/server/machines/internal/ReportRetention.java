package io.patchfleet.server.machines.internal;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.patchfleet.store.api.MachineStore;
import io.patchfleet.store.api.StoreException;

/**
 * Deletes machine reports older than the retention period (Canonical's on-prem keeps 10 days by
 * default; so does this), on a schedule, in the store's small batches so check-ins are never
 * blocked for long. Each machine's last report is always kept, so reports by state stay complete.
 */
@Component(immediate = true, configurationPid = ReportRetention.PID)
@Designate(ocd = ReportRetention.Config.class)
public class ReportRetention {
    static final String PID = "io.patchfleet.server.retention";
    private static final Logger LOG = LoggerFactory.getLogger(ReportRetention.class);

    @ObjectClassDefinition(name = "Patchfleet report retention", description = "How long machine reports are kept")
    public @interface Config {
        @AttributeDefinition(description = "Days a machine report is kept (each machine's last report is always kept)", min = "1")
        int report_retention_days() default 10;

        @AttributeDefinition(description = "Minutes between retention runs", min = "1")
        int interval_minutes() default 60;
    }

    private final MachineStore machines;
    private final Duration retention;
    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "patchfleet-retention");
        t.setDaemon(true);
        return t;
    });

    @Activate
    public ReportRetention(@Reference MachineStore machines, Config config) {
        this.machines = machines;
        this.retention = Duration.ofDays(config.report_retention_days());
        scheduler.scheduleWithFixedDelay(this::runQuietly, 1, config.interval_minutes() * 60L, TimeUnit.SECONDS);
    }

    @Deactivate
    void deactivate() {
        scheduler.shutdownNow();
    }

    /** One retention run; returns the number of reports deleted. */
    long run(Instant now) throws StoreException {
        long deleted = machines.deleteReportsBefore(now.minus(retention));
        if (deleted > 0) {
            LOG.info("Retention: deleted {} machine reports older than {} days", deleted, retention.toDays());
        }
        return deleted;
    }

    private void runQuietly() {
        try {
            run(Instant.now());
        } catch (StoreException | RuntimeException e) {
            LOG.error("Report retention failed; it runs again at the next interval: {}", e.getMessage());
        }
    }
}
