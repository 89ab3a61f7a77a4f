package io.patchfleet.kernel.simulated;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.patchfleet.kernel.api.ApplyOptions;
import io.patchfleet.kernel.api.ApplyResult;
import io.patchfleet.kernel.api.KernelException;
import io.patchfleet.kernel.api.KernelException.Reason;
import io.patchfleet.kernel.api.LoadedPatch;
import io.patchfleet.kernel.api.Preflight;
import io.patchfleet.kernel.linux.Errno;
import io.patchfleet.kernel.linux.KernelCalls;
import io.patchfleet.kernel.linux.LinuxApplier;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The real Linux applier against the simulated kernel: given a kernel state, when the applier acts, then … */
class LinuxApplierOnSimulatedKernelTest {
    static final String RELEASE = "6.1.0-56-amd64";
    static final Duration FAST = Duration.ofMillis(300);
    static final LinuxApplier.Settings QUICK = new LinuxApplier.Settings(Duration.ofMillis(20), 5, Duration.ofMillis(100),
            Duration.ofSeconds(3));
    static final ApplyOptions OPTIONS = new ApplyOptions(Duration.ofSeconds(5), true, true);

    @TempDir
    Path root;
    @TempDir
    Path files;

    SimulatedKernel kernel;
    final AtomicInteger loads = new AtomicInteger();

    @AfterEach
    void stop() {
        if (kernel != null) {
            kernel.close();
        }
    }

    private LinuxApplier boot(SimulatedKernel.Settings settings) throws IOException {
        kernel = new SimulatedKernel(root, settings);
        KernelCalls counting = new KernelCalls() {
            @Override
            public Uname uname() throws IOException {
                return kernel.uname();
            }

            @Override
            public int finitModule(Path module, String params, int flags) throws IOException {
                loads.incrementAndGet();
                return kernel.finitModule(module, params, flags);
            }

            @Override
            public int deleteModule(String name, int flags) throws IOException {
                return kernel.deleteModule(name, flags);
            }
        };
        return new LinuxApplier(root, counting, QUICK);
    }

    private LinuxApplier boot() throws IOException {
        return boot(SimulatedKernel.Settings.defaults().withBehaviour(SimulatedKernel.Behaviour.NORMAL.withTransitionTime(FAST)));
    }

    private Path module(String name, SimulatedModules.Flag... flags) throws IOException {
        return SimulatedModules.write(files.resolve(name + ".ko"), name, RELEASE, "x86_64", flags);
    }

    private boolean loaded(String module) {
        return Files.exists(root.resolve("sys/module").resolve(module));
    }

    @Test
    void applyWaitsForTheTransition() throws Exception {
        LinuxApplier applier = boot();
        ApplyResult r = applier.apply(module("lkp_1"), "lkp_1", OPTIONS);
        assertEquals("lkp_1", r.patchName());
        assertTrue(r.transitionTime().compareTo(FAST.minusMillis(50)) >= 0, r.transitionTime().toString());
        assertEquals(List.of(new LoadedPatch("lkp_1", true, false)), applier.loadedPatches());
        assertEquals(32768 | 8192 | 4096, r.taint()); // K, E, O as a real kernel reports an unsigned out-of-tree livepatch
        assertEquals(r.taint(), applier.taint());
    }

    @Test
    void aModuleWithAnotherNameIsRefusedBeforeLoading() throws Exception {
        LinuxApplier applier = boot();
        KernelException e = assertThrows(KernelException.class, () -> applier.apply(module("lkp_1"), "lkp_2", OPTIONS));
        assertEquals(Reason.WRONG_PATCH_NAME, e.reason());
        assertEquals(0, loads.get());
        assertFalse(loaded("lkp_1"));
    }

    @Test
    void anOrdinaryModuleIsRefusedBeforeLoading() throws Exception {
        LinuxApplier applier = boot();
        KernelException e = assertThrows(KernelException.class,
                () -> applier.apply(module("ext9", SimulatedModules.Flag.NOT_LIVEPATCH), "ext9", OPTIONS));
        assertEquals(Reason.LOAD_REFUSED, e.reason());
        assertTrue(e.getMessage().contains("not a livepatch"), e.getMessage());
        assertEquals(0, loads.get());
    }

    @Test
    void aModuleForAnotherKernelIsRefusedBeforeLoading() throws Exception {
        LinuxApplier applier = boot();
        Path other = SimulatedModules.write(files.resolve("lkp_1.ko"), "lkp_1", "6.1.0-55-amd64");
        KernelException e = assertThrows(KernelException.class, () -> applier.apply(other, "lkp_1", OPTIONS));
        assertEquals(Reason.LOAD_REFUSED, e.reason());
        assertTrue(e.getMessage().contains("6.1.0-55-amd64"), e.getMessage());
        Path arm = SimulatedModules.write(files.resolve("lkp_2.ko"), "lkp_2", RELEASE, "aarch64");
        assertEquals(Reason.LOAD_REFUSED, assertThrows(KernelException.class, () -> applier.apply(arm, "lkp_2", OPTIONS)).reason());
        assertEquals(0, loads.get());
        // The simulated kernel itself refuses such a module as a real one does.
        assertEquals(Errno.ENOEXEC, kernel.finitModule(other, "", 0));
    }

    @Test
    void loadFailuresAreMappedFromTheErrno() throws Exception {
        SimulatedKernel.Settings base = SimulatedKernel.Settings.defaults()
                .withBehaviour(SimulatedKernel.Behaviour.NORMAL.withTransitionTime(FAST));
        LinuxApplier applier = boot(base.withModule("lkp_1", base.behaviour().withLoadErrno(Errno.EINVAL)));
        KernelException e = assertThrows(KernelException.class, () -> applier.apply(module("lkp_1"), "lkp_1", OPTIONS));
        assertEquals(Reason.LOAD_REFUSED, e.reason());
        assertTrue(e.getMessage().contains("EINVAL"), e.getMessage());

        kernel.configure(base.withSecurity(true, Preflight.Lockdown.NONE));
        e = assertThrows(KernelException.class, () -> applier.apply(module("lkp_2"), "lkp_2", OPTIONS));
        assertEquals(Reason.LOAD_REFUSED, e.reason());
        assertTrue(e.getMessage().contains("EKEYREJECTED") && e.getMessage().contains("enforced"), e.getMessage());
        Path signed = SimulatedModules.write(files.resolve("lkp_3.ko"), "lkp_3", RELEASE, "x86_64", SimulatedModules.Flag.SIGNED);
        assertEquals("lkp_3", applier.apply(signed, "lkp_3", OPTIONS).patchName());

        kernel.configure(base.withSecurity(false, Preflight.Lockdown.INTEGRITY));
        e = assertThrows(KernelException.class, () -> applier.apply(module("lkp_4"), "lkp_4", OPTIONS));
        assertEquals(Reason.NOT_PERMITTED, e.reason());
        assertTrue(e.getMessage().contains("lockdown"), e.getMessage());
        assertFalse(loaded("lkp_1") || loaded("lkp_2") || loaded("lkp_4"));
    }

    @Test
    void aStalledTransitionIsReversedAndUnloadedWithinTheTimeout() throws Exception {
        LinuxApplier applier = boot(SimulatedKernel.Settings.defaults()
                .withBehaviour(SimulatedKernel.Behaviour.NORMAL.withTransitionTime(FAST).withStall(true)));
        Duration timeout = Duration.ofSeconds(1);
        long start = System.nanoTime();
        KernelException e = assertThrows(KernelException.class,
                () -> applier.apply(module("lkp_1"), "lkp_1", new ApplyOptions(timeout, true, true)));
        Duration elapsed = Duration.ofNanos(System.nanoTime() - start);
        assertEquals(Reason.TRANSITION_STALLED, e.reason());
        assertTrue(elapsed.compareTo(timeout) >= 0, elapsed.toString());
        assertTrue(elapsed.compareTo(timeout.plus(FAST).plusSeconds(1)) < 0, "took " + elapsed);
        assertEquals(1, e.blockingTasks().size(), e.blockingTasks().toString());
        assertTrue(e.blockingTasks().get(0).startsWith("2718 fio ["), e.blockingTasks().toString());
        assertTrue(e.getMessage().contains("reversed and unloaded"), e.getMessage());
        assertFalse(e.kernelChanged());
        assertTrue(kernel.signals("lkp_1") >= 1 || !Files.exists(root.resolve("sys/kernel/livepatch/lkp_1")));
        assertEquals(List.of(), applier.loadedPatches());
        assertFalse(loaded("lkp_1"));
    }

    @Test
    void stalledTasksAreSignalledOnceAFifthOfTheTimeoutHasPassed() throws Exception {
        boot(SimulatedKernel.Settings.defaults().withBehaviour(SimulatedKernel.Behaviour.NORMAL.withStall(true)));
        LinuxApplier applier = new LinuxApplier(root, kernel, QUICK);
        CompletableFuture<Void> apply = CompletableFuture.runAsync(() -> {
            try {
                applier.apply(module("lkp_1"), "lkp_1", new ApplyOptions(Duration.ofSeconds(1), true, true));
            } catch (Exception expected) {
                // stalls
            }
        });
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (kernel.signals("lkp_1") == 0 && System.nanoTime() < until) {
            Thread.sleep(10);
        }
        assertEquals(1, kernel.signals("lkp_1"));
        apply.get(5, TimeUnit.SECONDS);
    }

    @Test
    void disableThenUnload() throws Exception {
        LinuxApplier applier = boot();
        applier.apply(module("lkp_1"), "lkp_1", OPTIONS);
        KernelException busy = assertThrows(KernelException.class, () -> applier.unload("lkp_1"));
        assertEquals(Reason.BUSY, busy.reason());
        assertTrue(busy.getMessage().contains("EAGAIN"), busy.getMessage());

        applier.disable("lkp_1", Duration.ofSeconds(3));
        assertEquals(List.of(), applier.loadedPatches());
        assertTrue(loaded("lkp_1"));
        applier.disable("lkp_1", Duration.ofSeconds(3)); // already disabled: at once
        applier.unload("lkp_1");
        assertFalse(loaded("lkp_1"));
        assertEquals(Reason.NOT_FOUND, assertThrows(KernelException.class, () -> applier.unload("lkp_1")).reason());
        assertEquals(Reason.NOT_FOUND, assertThrows(KernelException.class,
                () -> applier.disable("lkp_1", Duration.ofSeconds(1))).reason());
    }

    @Test
    void anUnloadJustAfterTheDisableWaitsForTheKernelToDropItsReference() throws Exception {
        // The real kernel removes the livepatch directory first and drops the module reference a
        // moment later from a work queue; delete_module in between answers EAGAIN.
        AtomicInteger lingering = new AtomicInteger(3);
        AtomicInteger deletes = new AtomicInteger();
        kernel = new SimulatedKernel(root,
                SimulatedKernel.Settings.defaults().withBehaviour(SimulatedKernel.Behaviour.NORMAL.withTransitionTime(FAST)));
        LinuxApplier applier = new LinuxApplier(root, new KernelCalls() {
            @Override
            public Uname uname() throws IOException {
                return kernel.uname();
            }

            @Override
            public int finitModule(Path module, String params, int flags) throws IOException {
                return kernel.finitModule(module, params, flags);
            }

            @Override
            public int deleteModule(String name, int flags) throws IOException {
                deletes.incrementAndGet();
                if (!Files.exists(root.resolve("sys/kernel/livepatch").resolve(name)) && lingering.getAndDecrement() > 0) {
                    return Errno.EAGAIN;
                }
                return kernel.deleteModule(name, flags);
            }
        }, QUICK);
        applier.apply(module("lkp_1"), "lkp_1", OPTIONS);
        applier.disable("lkp_1", Duration.ofSeconds(3));

        applier.unload("lkp_1");

        assertFalse(loaded("lkp_1"));
        assertEquals(4, deletes.get(), "three EAGAINs, then the unload");
    }

    @Test
    void onlyLivepatchModulesAreUnloaded() throws Exception {
        LinuxApplier applier = boot();
        assertEquals(0, kernel.finitModule(module("ext9", SimulatedModules.Flag.NOT_LIVEPATCH), "", 0));
        assertEquals(Reason.NOT_FOUND, assertThrows(KernelException.class, () -> applier.unload("ext9")).reason());
        assertTrue(loaded("ext9"));
    }

    @Test
    void aSecondChangeWhileOneRunsIsBusy() throws Exception {
        LinuxApplier applier = boot(SimulatedKernel.Settings.defaults()
                .withBehaviour(SimulatedKernel.Behaviour.NORMAL.withTransitionTime(Duration.ofSeconds(1))));
        Path first = module("lkp_1");
        CompletableFuture<ApplyResult> running = CompletableFuture.supplyAsync(() -> {
            try {
                return applier.apply(first, "lkp_1", OPTIONS);
            } catch (KernelException e) {
                throw new IllegalStateException(e);
            }
        });
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!loaded("lkp_1") && System.nanoTime() < until) {
            Thread.sleep(5);
        }
        KernelException e = assertThrows(KernelException.class, () -> applier.apply(module("lkp_2"), "lkp_2", OPTIONS));
        assertEquals(Reason.BUSY, e.reason());
        assertEquals(Reason.BUSY, assertThrows(KernelException.class, () -> applier.unload("lkp_1")).reason());
        assertEquals("lkp_1", running.get(5, TimeUnit.SECONDS).patchName());
    }

    @Test
    void aLoadDuringAnotherTransitionIsRetried() throws Exception {
        LinuxApplier applier = boot();
        applier.apply(module("lkp_1", SimulatedModules.Flag.NO_REPLACE), "lkp_1", OPTIONS);
        // Someone else starts disabling lkp_1: the kernel answers EBUSY to loads until it is done.
        Files.writeString(root.resolve("sys/kernel/livepatch/lkp_1/enabled"), "0\n");
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!"1".equals(Files.readString(root.resolve("sys/kernel/livepatch/lkp_1/transition")).trim()) && System.nanoTime() < until) {
            Thread.sleep(5);
        }
        assertEquals(Errno.EBUSY, kernel.finitModule(module("lkp_x"), "", 0));
        ApplyResult r = applier.apply(module("lkp_2"), "lkp_2", OPTIONS);
        assertEquals("lkp_2", r.patchName());
        assertTrue(loads.get() > 2, "retried: " + loads.get());
    }

    @Test
    void atomicReplaceUnloadsTheSupersededPatch() throws Exception {
        LinuxApplier applier = boot();
        applier.apply(module("lkp_1"), "lkp_1", OPTIONS);
        ApplyResult r = applier.apply(module("lkp_2"), "lkp_2", OPTIONS);
        assertEquals(List.of("lkp_1"), r.replaced());
        assertFalse(loaded("lkp_1"));
        assertEquals(List.of(new LoadedPatch("lkp_2", true, false)), applier.loadedPatches());

        // A patch without replace stacks on top; nothing is unloaded.
        ApplyResult stacked = applier.apply(module("lkp_3", SimulatedModules.Flag.NO_REPLACE), "lkp_3", OPTIONS);
        assertEquals(List.of(), stacked.replaced());
        assertEquals(List.of("lkp_2", "lkp_3"), applier.loadedPatches().stream().map(LoadedPatch::name).toList());

        // Without the replace option the superseded module stays loaded (disabled) for the caller.
        ApplyResult kept = applier.apply(module("lkp_4"), "lkp_4", new ApplyOptions(Duration.ofSeconds(5), true, false));
        assertEquals(List.of(), kept.replaced());
        // The kernel frees replaced patches' sysfs directories asynchronously after the
        // transition; without the replace option nobody waits for that, so the test does (bounded).
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(5);
        while (applier.loadedPatches().size() > 1 && System.nanoTime() < deadline) {
            java.util.concurrent.TimeUnit.MILLISECONDS.sleep(10);
        }
        assertEquals(List.of("lkp_4"), applier.loadedPatches().stream().map(LoadedPatch::name).toList());
        assertTrue(loaded("lkp_2") && loaded("lkp_3"));
        applier.unload("lkp_2"); // disabled by the replace: unloadable by name (taint K)
        assertFalse(loaded("lkp_2"));
    }

    @Test
    void aCrashLeavesAMarkerAndAFreshBoot() throws Exception {
        LinuxApplier applier = boot();
        applier.apply(module("lkp_1"), "lkp_1", OPTIONS);
        String bootId = Files.readString(root.resolve("proc/sys/kernel/random/boot_id"));
        kernel.configure(kernel.settings().withModule("lkp_2", kernel.settings().behaviour().withCrash(true)));
        KernelException e = assertThrows(KernelException.class, () -> applier.apply(module("lkp_2"), "lkp_2", OPTIONS));
        assertEquals(Reason.IO, e.reason());
        assertTrue(Files.readString(kernel.crashMarker()).contains("module=lkp_2"));
        assertNotEquals(bootId, Files.readString(root.resolve("proc/sys/kernel/random/boot_id")));
        assertEquals(List.of(), applier.loadedPatches());
        assertFalse(loaded("lkp_1"));
        assertEquals(0, applier.taint());
    }

    @Test
    void aNewInstanceContinuesTheFolderState() throws Exception {
        LinuxApplier applier = boot();
        applier.apply(module("lkp_1"), "lkp_1", OPTIONS);
        kernel.close();
        kernel = new SimulatedKernel(root, kernel.settings());
        LinuxApplier again = new LinuxApplier(root, kernel, QUICK);
        assertEquals(List.of(new LoadedPatch("lkp_1", true, false)), again.loadedPatches());
        assertEquals(Errno.EAGAIN, kernel.deleteModule("lkp_1", KernelCalls.O_NONBLOCK));
        assertEquals(Reason.LOAD_REFUSED, assertThrows(KernelException.class,
                () -> again.apply(module("lkp_1"), "lkp_1", OPTIONS)).reason());
    }

    @Test
    void preflightReportsWhatTheSimulatedMachineSays() throws Exception {
        LinuxApplier applier = boot(SimulatedKernel.Settings.defaults().withSecurity(true, Preflight.Lockdown.CONFIDENTIALITY));
        Preflight p = applier.preflight();
        assertTrue(p.canApply());
        assertTrue(p.moduleSignaturesEnforced());
        assertEquals(Preflight.Lockdown.CONFIDENTIALITY, p.lockdown());
        kernel.configure(SimulatedKernel.Settings.defaults().withLivepatchSupported(false));
        p = applier.preflight();
        assertFalse(p.livepatchSupported());
        assertFalse(p.canApply());
        assertEquals(Reason.NOT_SUPPORTED, assertThrows(KernelException.class,
                () -> applier.apply(module("lkp_1"), "lkp_1", OPTIONS)).reason());
    }
}
