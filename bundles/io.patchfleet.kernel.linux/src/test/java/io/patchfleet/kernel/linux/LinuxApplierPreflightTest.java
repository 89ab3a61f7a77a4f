package io.patchfleet.kernel.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.patchfleet.kernel.api.ApplyOptions;
import io.patchfleet.kernel.api.KernelException;
import io.patchfleet.kernel.api.Preflight;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Preflight and reads over a hand-made sysfs folder; loads are in the simulated kernel's tests. */
class LinuxApplierPreflightTest {
    @TempDir
    Path root;

    private final KernelCalls noCalls = new KernelCalls() {
        @Override
        public Uname uname() {
            return new Uname("6.1.0-56-amd64", "#1 SMP", "x86_64");
        }

        @Override
        public int finitModule(Path module, String params, int flags) {
            throw new AssertionError("no load expected");
        }

        @Override
        public int deleteModule(String name, int flags) {
            throw new AssertionError("no unload expected");
        }
    };

    private void file(String path, String content) throws IOException {
        Path f = root.resolve(path);
        Files.createDirectories(f.getParent());
        Files.writeString(f, content);
    }

    @Test
    void aMachineWithoutLivepatchIsReportedNotThrown() throws Exception {
        file("proc/self/status", "CapEff:\t000001ffffffffff\n");
        LinuxApplier applier = new LinuxApplier(root, noCalls);
        Preflight p = applier.preflight();
        assertFalse(p.livepatchSupported());
        assertFalse(p.canApply());
        assertTrue(p.problems().get(0).contains("no livepatch support"), p.problems().toString());
        assertEquals(Preflight.Lockdown.UNKNOWN, p.lockdown());
        assertEquals(KernelException.Reason.NOT_SUPPORTED, assertThrows(KernelException.class, applier::loadedPatches).reason());
        assertEquals(KernelException.Reason.NOT_SUPPORTED, assertThrows(KernelException.class,
                () -> applier.apply(root.resolve("x.ko"), "lkp", ApplyOptions.DEFAULTS)).reason());
    }

    @Test
    void signatureEnforcementLockdownAndPrivilegeAreRead() throws Exception {
        Files.createDirectories(root.resolve("sys/kernel/livepatch"));
        file("sys/module/module/parameters/sig_enforce", "Y\n");
        file("sys/kernel/security/lockdown", "none [integrity] confidentiality\n");
        file("proc/self/status", "Name:\tjava\nCapEff:\t0000000000000000\n");
        Preflight p = new LinuxApplier(root, noCalls).preflight();
        assertTrue(p.livepatchSupported());
        assertTrue(p.moduleSignaturesEnforced());
        assertEquals(Preflight.Lockdown.INTEGRITY, p.lockdown());
        assertFalse(p.mayLoadModules());
        assertTrue(p.problems().get(0).contains("CAP_SYS_MODULE"), p.problems().toString());

        file("proc/self/status", "CapEff:\t000001ffffffffff\n");
        file("sys/kernel/security/lockdown", "none integrity [confidentiality]\n");
        file("proc/sys/kernel/modules_disabled", "1\n");
        p = new LinuxApplier(root, noCalls).preflight();
        assertEquals(Preflight.Lockdown.CONFIDENTIALITY, p.lockdown());
        assertTrue(p.problems().get(0).contains("modules_disabled"), p.problems().toString());

        file("proc/sys/kernel/modules_disabled", "0\n");
        file("sys/kernel/security/lockdown", "[none] integrity confidentiality\n");
        p = new LinuxApplier(root, noCalls).preflight();
        assertTrue(p.canApply(), p.problems().toString());
        assertEquals(Preflight.Lockdown.NONE, p.lockdown());
    }

    @Test
    void unusableNativeCallsAreAProblemNotACrash() throws Exception {
        Files.createDirectories(root.resolve("sys/kernel/livepatch"));
        file("proc/self/status", "CapEff:\t000001ffffffffff\n");
        KernelCalls broken = new KernelCalls() {
            @Override
            public Uname uname() throws IOException {
                throw new IOException("native calls unavailable: JNA could not load");
            }

            @Override
            public int finitModule(Path module, String params, int flags) throws IOException {
                throw new IOException("unavailable");
            }

            @Override
            public int deleteModule(String name, int flags) throws IOException {
                throw new IOException("unavailable");
            }
        };
        Preflight p = new LinuxApplier(root, broken).preflight();
        assertFalse(p.canApply());
        assertTrue(p.problems().get(0).contains("JNA"));
    }

    @Test
    void taintIsReadWholeAndLoadedPatchesFollowStackOrder() throws Exception {
        file("proc/sys/kernel/tainted", "45057\n");
        file("sys/kernel/livepatch/lkp_b/enabled", "1\n");
        file("sys/kernel/livepatch/lkp_b/transition", "0\n");
        file("sys/kernel/livepatch/lkp_b/stack_order", "1\n");
        file("sys/kernel/livepatch/lkp_a/enabled", "1\n");
        file("sys/kernel/livepatch/lkp_a/transition", "1\n");
        file("sys/kernel/livepatch/lkp_a/stack_order", "2\n");
        LinuxApplier applier = new LinuxApplier(root, noCalls);
        assertEquals(45057, applier.taint());
        assertEquals(java.util.List.of("lkp_b", "lkp_a"), applier.loadedPatches().stream().map(p -> p.name()).toList());
        assertTrue(applier.loadedPatches().get(1).inTransition());
        assertEquals("6.1.0-56-amd64", applier.runningKernel().release());
        assertEquals("amd64", applier.runningKernel().flavour());
    }
}
