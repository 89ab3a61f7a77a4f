package io.patchfleet.kernel.simulated.internal;

import io.patchfleet.kernel.api.KernelApplier;
import io.patchfleet.kernel.api.Preflight;
import io.patchfleet.kernel.linux.ForwardingKernelApplier;
import io.patchfleet.kernel.linux.LinuxApplier;
import io.patchfleet.kernel.simulated.SimulatedKernel;
import io.patchfleet.model.KernelId;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * The simulated kernel as a {@link KernelApplier} service ({@code kernel=simulated}): the Linux
 * applier's own code over a {@link SimulatedKernel} folder. It starts only when configured
 * (configuration policy REQUIRE), so shipping it in the client profile never puts a fake kernel
 * in front of a real machine's agent by accident.
 */
@Component(service = KernelApplier.class, property = "kernel=simulated", configurationPid = SimulatedKernelComponent.PID,
        configurationPolicy = org.osgi.service.component.annotations.ConfigurationPolicy.REQUIRE)
@Designate(ocd = SimulatedKernelComponent.Config.class)
public final class SimulatedKernelComponent extends ForwardingKernelApplier {
    public static final String PID = "io.patchfleet.kernel.simulated";
    static final String DATA_PROPERTY = "patchfleet.data";

    @ObjectClassDefinition(name = "Patchfleet simulated kernel",
            description = "A kernel in a folder, for tests, the demo and fleet simulation")
    public @interface Config {
        @AttributeDefinition(name = "Folder", description = "Empty: DATA/simulated-kernel (DATA = the patchfleet.data framework property)")
        String root() default "";

        @AttributeDefinition(name = "Release", description = "uname -r; the flavour follows from it (6.1.0-56-amd64 → amd64)")
        String release() default "6.1.0-56-amd64";

        @AttributeDefinition(name = "Architecture", description = "uname -m")
        String machine() default "x86_64";

        @AttributeDefinition(name = "Build", description = "uname -v")
        String version() default "#1 SMP PREEMPT_DYNAMIC Debian 6.1.158-1 (2025-11-20)";

        @AttributeDefinition(name = "Livepatch support", description = "Whether sys/kernel/livepatch exists")
        boolean livepatch() default true;

        @AttributeDefinition(name = "Transition time (ms)", min = "0")
        long transition_ms() default 1000;

        @AttributeDefinition(name = "Stall", description = "Patching transitions never finish")
        boolean stall() default false;

        @AttributeDefinition(name = "Stalling tasks", description = "\"<pid> <comm>\" of the tasks that block a stalled transition")
        String[] stall_tasks() default {"2718 fio"};

        @AttributeDefinition(name = "Load errno", description = "When not 0, every finit_module fails with this errno (129 = EKEYREJECTED)", min = "0")
        int load_errno() default 0;

        @AttributeDefinition(name = "Crash", description = "Loading a module crashes the simulated machine")
        boolean crash() default false;

        @AttributeDefinition(name = "Per-module faults",
                description = "\"<module>:<fault>[,<fault>]\" with stall, crash, errno=N, transition_ms=N")
        String[] module_faults() default {};

        @AttributeDefinition(name = "Replace all", description = "Every livepatch atomically replaces the ones before it")
        boolean replace_all() default false;

        @AttributeDefinition(name = "Enforce module signatures", description = "module.sig_enforce=Y")
        boolean sig_enforce() default false;

        @AttributeDefinition(name = "Lockdown", description = "none, integrity or confidentiality")
        String lockdown() default "none";

        @AttributeDefinition(name = "Poll interval (ms)", min = "10", max = "1000")
        long poll_interval_ms() default 50;
    }

    private final SimulatedKernel kernel;
    private final LinuxApplier applier;

    @Activate
    public SimulatedKernelComponent(BundleContext context, Config config) throws IOException {
        this(folder(context.getProperty(DATA_PROPERTY), config), config);
    }

    SimulatedKernelComponent(Path folder, Config config) throws IOException {
        this.kernel = new SimulatedKernel(folder, settings(config));
        this.applier = new LinuxApplier(kernel.root(), kernel, new LinuxApplier.Settings(Duration.ofMillis(config.poll_interval_ms()),
                5, Duration.ofMillis(Math.min(2000, Math.max(config.transition_ms(), config.poll_interval_ms()))),
                Duration.ofMillis(Math.max(10_000, 5 * config.transition_ms()))));
    }

    @Deactivate
    void deactivate() {
        kernel.close();
    }

    static Path folder(String data, Config config) {
        if (!config.root().isBlank()) {
            return Path.of(config.root()).toAbsolutePath();
        }
        if (data == null || data.isBlank()) {
            throw new IllegalStateException("set the simulated kernel's root, or the framework property " + DATA_PROPERTY);
        }
        return Path.of(data).toAbsolutePath().resolve("simulated-kernel");
    }

    static SimulatedKernel.Settings settings(Config c) {
        SimulatedKernel.Behaviour behaviour = new SimulatedKernel.Behaviour(Duration.ofMillis(c.transition_ms()), c.stall(),
                c.load_errno(), c.crash());
        Preflight.Lockdown lockdown = switch (c.lockdown().trim().toLowerCase(Locale.ROOT)) {
            case "none", "" -> Preflight.Lockdown.NONE;
            case "integrity" -> Preflight.Lockdown.INTEGRITY;
            case "confidentiality" -> Preflight.Lockdown.CONFIDENTIALITY;
            default -> throw new IllegalArgumentException("lockdown must be none, integrity or confidentiality: " + c.lockdown());
        };
        SimulatedKernel.Settings s = new SimulatedKernel.Settings(KernelId.of(c.release(), c.machine(), c.version()),
                c.livepatch(), c.sig_enforce(), lockdown, c.replace_all(), List.of(c.stall_tasks()), behaviour, java.util.Map.of());
        for (String entry : c.module_faults()) {
            int colon = entry.indexOf(':');
            if (colon <= 0) {
                throw new IllegalArgumentException("a module fault is \"<module>:<fault>[,<fault>]\": " + entry);
            }
            s = s.withModule(entry.substring(0, colon).trim(), behaviour.with(entry.substring(colon + 1)));
        }
        return s;
    }

    /** The simulated kernel behind the service, for the demo and tests that set faults. */
    public SimulatedKernel kernel() {
        return kernel;
    }

    @Override
    protected KernelApplier delegate() {
        return applier;
    }
}
