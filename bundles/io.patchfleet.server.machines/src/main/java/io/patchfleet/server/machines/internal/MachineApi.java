package io.patchfleet.server.machines.internal;

import java.util.concurrent.ThreadLocalRandom;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.patchfleet.server.api.ApiException;

/** Settings of the machine API shared by its routes. */
@Component(service = MachineApi.class, configurationPid = MachineApi.PID)
@Designate(ocd = MachineApi.Config.class)
public class MachineApi {
    static final String PID = "io.patchfleet.server.machines";
    private static final Logger LOG = LoggerFactory.getLogger(MachineApi.class);

    @ObjectClassDefinition(name = "Patchfleet machine API", description = "How machines check in")
    public @interface Config {
        @AttributeDefinition(description = "Seconds between a machine's check-ins, as the server asks for them", min = "10")
        long check_in_interval_seconds() default 3600;

        @AttributeDefinition(description = "Spread of the next check-in time, in percent either way, so a fleet does not arrive at once", min = "0", max = "50")
        int jitter_percent() default 10;

        @AttributeDefinition(description = "How long a signed directive stays valid, in seconds; longer than the check-in interval", min = "60")
        long directive_ttl_seconds() default 3 * 3600;

        @AttributeDefinition(description = "Seconds between counts of machines by tier and patch state for /metrics; "
                + "each count reads every machine row (seconds of CPU at a million machines); 0: never", min = "0")
        long machine_count_interval_seconds() default 900;
    }

    private volatile Config config;

    @Activate
    public MachineApi(Config config) {
        this.config = config;
    }

    @Modified
    void modified(Config config) {
        this.config = config;
    }

    long checkInIntervalSeconds() {
        return config.check_in_interval_seconds();
    }

    long machineCountIntervalSeconds() {
        return config.machine_count_interval_seconds();
    }

    long directiveTtlSeconds() {
        return Math.max(config.directive_ttl_seconds(), config.check_in_interval_seconds() + 60);
    }

    /** The interval with jitter: uniform within ±jitter percent. */
    long nextCheckInSeconds() {
        long interval = config.check_in_interval_seconds();
        long spread = interval * config.jitter_percent() / 100;
        return spread == 0 ? interval : interval - spread + ThreadLocalRandom.current().nextLong(2 * spread + 1);
    }

    ApiException unavailable(Exception cause) {
        LOG.error("Storage failed while serving a machine: {}", cause.getMessage(), cause);
        return new ApiException(503, "unavailable", "The server cannot serve this request right now; retry later");
    }
}
