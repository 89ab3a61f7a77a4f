package io.patchfleet.client.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.fasterxml.jackson.databind.ObjectMapper;

import io.patchfleet.model.CheckState;
import io.patchfleet.model.KernelSupport;
import io.patchfleet.model.PatchState;

/**
 * The client daemon. It owns the machine's enrollment (the file {@code client/enrollment.json}
 * under the data directory, written by {@code enable}) and answers {@code status} on the control
 * socket. Without an enrollment the machine is "not enabled", which the CLI reports with exit
 * code 1 as operators of Canonical's client expect.
 */
@Component(service = ControlCommand.class, immediate = true, configurationPid = ClientDaemon.PID,
        property = ControlCommand.NAME + "=status")
@Designate(ocd = ClientDaemon.Config.class)
public class ClientDaemon implements ControlCommand {
    static final String PID = "io.patchfleet.client";
    private static final Logger LOG = LoggerFactory.getLogger(ClientDaemon.class);
    private static final ObjectMapper MAPPER = new ObjectMapper();

    @ObjectClassDefinition(name = "Patchfleet client", description = "How the client reaches its server")
    public @interface Config {
        @AttributeDefinition(name = "Remote server", description = "Base URL of the Patchfleet server (remote-server)")
        String remote_server() default "http://127.0.0.1:8080";

        @AttributeDefinition(name = "Check interval", description = "Minutes between checks; 0 = manual only (check-interval)", min = "0")
        int check_interval() default 60;
    }

    private final Path enrollmentFile;
    private final Config config;
    private final String clientVersion;

    @Activate
    public ClientDaemon(BundleContext context, Config config) {
        this.config = config;
        this.enrollmentFile = DataDirectory.of(context).resolve("client").resolve("enrollment.json");
        String version = context.getProperty("patchfleet.version");
        this.clientVersion = version != null ? version : context.getBundle().getVersion().toString();
        LOG.info("Patchfleet client {} started; server {}; {}", clientVersion, config.remote_server(),
                enrollment().isPresent() ? "enabled" : "not enabled (run 'patchfleet enable TOKEN')");
    }

    /** The stored enrollment, or empty when this machine was never enabled or was disabled. */
    Optional<Map<?, ?>> enrollment() {
        if (!Files.isRegularFile(enrollmentFile)) {
            return Optional.empty();
        }
        try {
            return Optional.of(MAPPER.readValue(enrollmentFile.toFile(), Map.class));
        } catch (IOException e) {
            LOG.error("Enrollment file {} is unreadable: {}", enrollmentFile, e.getMessage());
            return Optional.empty();
        }
    }

    @Override
    public Map<String, Object> execute(Map<String, Object> arguments) {
        Optional<Map<?, ?>> enrollment = enrollment();
        Map<String, Object> kernel = new LinkedHashMap<>();
        kernel.put("running", System.getProperty("os.version"));
        kernel.put("architecture", System.getProperty("os.arch"));
        kernel.put("support", KernelSupport.UNKNOWN.wireName());
        kernel.put("checkState", CheckState.NEEDS_CHECK.wireName());
        kernel.put("patchState", PatchState.UNKNOWN.wireName());
        Map<String, Object> status = new LinkedHashMap<>();
        status.put("enabled", enrollment.isPresent());
        status.put("clientVersion", clientVersion);
        status.put("machineId", enrollment.map(e -> e.get("machineId")).orElse(null));
        status.put("server", config.remote_server());
        status.put("tier", enrollment.map(e -> e.get("tier")).orElse(null));
        status.put("kernel", kernel);
        return status;
    }
}
