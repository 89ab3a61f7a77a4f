package io.patchfleet.kernel.simulated.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.patchfleet.kernel.api.ApplyOptions;
import io.patchfleet.kernel.api.KernelException;
import io.patchfleet.kernel.api.Preflight;
import io.patchfleet.kernel.simulated.SimulatedKernel;
import io.patchfleet.kernel.simulated.SimulatedModules;
import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SimulatedKernelComponentTest {

    /** A typed configuration as DS would build it: the given values, else the annotation defaults. */
    static SimulatedKernelComponent.Config config(Map<String, Object> values) {
        return (SimulatedKernelComponent.Config) Proxy.newProxyInstance(SimulatedKernelComponent.Config.class.getClassLoader(),
                new Class<?>[] {SimulatedKernelComponent.Config.class},
                (proxy, method, args) -> values.containsKey(method.getName()) ? values.get(method.getName()) : method.getDefaultValue());
    }

    @Test
    void theDefaultFolderIsUnderTheDataDirectory(@TempDir Path data) {
        SimulatedKernelComponent.Config defaults = config(Map.of());
        assertEquals(data.resolve("simulated-kernel"), SimulatedKernelComponent.folder(data.toString(), defaults));
        assertThrows(IllegalStateException.class, () -> SimulatedKernelComponent.folder(null, defaults));
        assertEquals(Path.of("/x/k"), SimulatedKernelComponent.folder(null, config(Map.of("root", "/x/k"))));
    }

    @Test
    void faultSwitchesAndPerModuleOverridesAreTyped() {
        SimulatedKernel.Settings s = SimulatedKernelComponent.settings(config(Map.of("stall", true, "transition_ms", 50L,
                "module_faults", new String[] {"lkp_9:errno=129,transition_ms=5", "lkp_8:crash"}, "lockdown", "integrity")));
        assertTrue(s.behaviour().stall());
        assertEquals(Duration.ofMillis(50), s.behaviour().transitionTime());
        assertEquals(129, s.behaviourOf("lkp_9").loadErrno());
        assertEquals(Duration.ofMillis(5), s.behaviourOf("lkp_9").transitionTime());
        assertTrue(s.behaviourOf("lkp_9").stall());
        assertTrue(s.behaviourOf("lkp_8").crash());
        assertEquals(Preflight.Lockdown.INTEGRITY, s.lockdown());
        assertEquals("amd64", s.kernel().flavour());
        assertThrows(IllegalArgumentException.class, () -> SimulatedKernelComponent.settings(config(Map.of(
                "module_faults", new String[] {"lkp_9:explode"}))));
        assertThrows(IllegalArgumentException.class, () -> SimulatedKernelComponent.settings(config(Map.of("lockdown", "full"))));
    }

    @Test
    void theServiceAppliesOnItsFolder(@TempDir Path dir) throws Exception {
        SimulatedKernelComponent c = new SimulatedKernelComponent(dir.resolve("k"), config(Map.of("transition_ms", 100L)));
        try {
            assertEquals("6.1.0-56-amd64", c.runningKernel().release());
            assertTrue(c.preflight().canApply());
            Path ko = SimulatedModules.write(dir.resolve("lkp_1.ko"), "lkp_1", "6.1.0-56-amd64");
            assertEquals("lkp_1", c.apply(ko, "lkp_1", ApplyOptions.DEFAULTS).patchName());
            assertTrue(Files.isDirectory(dir.resolve("k/sys/kernel/livepatch/lkp_1")));
            c.disable("lkp_1", Duration.ofSeconds(2));
            c.unload("lkp_1");
            assertEquals(KernelException.Reason.NOT_FOUND, assertThrows(KernelException.class, () -> c.unload("lkp_1")).reason());
        } finally {
            c.deactivate();
        }
    }
}
