package io.patchfleet.kernel.linux.internal;

import io.patchfleet.kernel.api.KernelApplier;
import io.patchfleet.kernel.api.Preflight;
import io.patchfleet.kernel.linux.ForwardingKernelApplier;
import io.patchfleet.kernel.linux.LinuxApplier;
import io.patchfleet.model.KernelId;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * The running kernel's applier as a service ({@code kernel=linux}). Activation touches neither
 * the kernel nor JNA: a machine without livepatch support, or where JNA cannot load, gets a
 * working service whose {@link #preflight()} says what is missing.
 */
@Component(service = KernelApplier.class, property = "kernel=linux", configurationPid = LinuxKernelComponent.PID)
@Designate(ocd = LinuxKernelComponent.Config.class)
public final class LinuxKernelComponent extends ForwardingKernelApplier {
    public static final String PID = "io.patchfleet.kernel.linux";

    @ObjectClassDefinition(name = "Patchfleet Linux kernel applier",
            description = "Loads livepatch modules into the running kernel and watches their transition")
    public @interface Config {
        @AttributeDefinition(name = "sysfs/procfs root", description = "The folder holding sys/ and proc/; / on a real machine")
        String root() default "/";

        @AttributeDefinition(name = "Poll interval (ms)", description = "How often the transition is checked", min = "10", max = "1000")
        long poll_interval_ms() default 100;

        @AttributeDefinition(name = "Load attempts", description = "finit_module tries while the kernel is busy (kpatch: 5)", min = "1")
        int load_attempts() default 5;

        @AttributeDefinition(name = "Load retry delay (ms)", description = "Pause between busy load attempts (kpatch: 2000)", min = "0")
        long load_retry_delay_ms() default 2000;

        @AttributeDefinition(name = "Reverse timeout (ms)",
                description = "How long the reversal of a stalled transition may take", min = "1")
        long reverse_timeout_ms() default 10000;
    }

    private final LinuxApplier applier;

    @Activate
    public LinuxKernelComponent(Config config) {
        this.applier = new LinuxApplier(Path.of(config.root()), new JnaKernelCalls(), settings(config));
    }

    static LinuxApplier.Settings settings(Config config) {
        return new LinuxApplier.Settings(Duration.ofMillis(config.poll_interval_ms()), config.load_attempts(),
                Duration.ofMillis(config.load_retry_delay_ms()), Duration.ofMillis(config.reverse_timeout_ms()));
    }

    @Override
    protected KernelApplier delegate() {
        return applier;
    }
}
