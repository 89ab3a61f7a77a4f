package io.patchfleet.kernel.simulated;

import io.patchfleet.kernel.api.Preflight;
import io.patchfleet.kernel.linux.Errno;
import io.patchfleet.kernel.linux.KernelCalls;
import io.patchfleet.kernel.module.ModuleFormatException;
import io.patchfleet.kernel.module.ModuleInfo;
import io.patchfleet.kernel.module.ModuleInfoReader;
import io.patchfleet.model.KernelId;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A kernel in a folder: the livepatch sysfs and procfs files under a root, and the module system
 * calls acting on them, with the behaviour {@code KERNEL-E2E.md} records for a real kernel —
 * after {@code finit_module} the patch reads {@code enabled=1, transition=1}, the transition
 * finishes after a configurable time, {@code delete_module} fails with EAGAIN while the patch is
 * enabled, writing 0 to {@code enabled} reverses and then removes the directory. Run the real
 * applier on it with {@code new LinuxApplier(root, simulatedKernel)}.
 *
 * <p><b>Layout</b> under the root:
 * <pre>
 * sys/kernel/livepatch/&lt;patch&gt;/{enabled,transition,signal,force,replace,stack_order}
 * sys/module/&lt;module&gt;/{initstate,refcnt,taint}
 * sys/module/module/parameters/sig_enforce      Y or N
 * sys/kernel/security/lockdown                  none [integrity] confidentiality
 * proc/sys/kernel/{tainted,modules_disabled,osrelease,random/boot_id}
 * proc/self/status                              CapEff with CAP_SYS_MODULE
 * proc/&lt;pid&gt;/task/&lt;tid&gt;/{comm,patch_state,stack}
 * crashed                                       present after a simulated crash
 * </pre>
 * The applier's writes to {@code enabled} and {@code signal} are seen by a tick every 10 ms.
 * A new instance on an existing folder continues its state (a daemon restart is not a reboot);
 * {@link #reboot()} clears it.
 *
 * <p><b>Faults</b> ({@link Behaviour}, globally or per module): a transition that never
 * finishes while the stalling tasks keep {@code patch_state} 0, a load failure with an errno, a
 * crash on load (everything unloaded, a new boot id, the {@code crashed} marker written, and the
 * call fails as the dying machine would never answer). Modules are accepted or refused like a
 * real kernel would: vermagic release and architecture must match ({@code ENOEXEC}), unsigned
 * modules are refused when signatures are enforced ({@code EKEYREJECTED}) or under lockdown
 * ({@code EPERM}), a second load of a name gives {@code EEXIST}, and a load during another
 * transition {@code EBUSY}. A module whose {@code .modinfo} says {@code replace=Y}, or any
 * livepatch when {@link Settings#replaceAll()}, replaces those loaded before it atomically.
 *
 * <p>Thread-safe; close it to stop its tick.
 */
public final class SimulatedKernel implements KernelCalls, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SimulatedKernel.class);
    private static final long TAINT_OOT = 4096;
    private static final long TAINT_UNSIGNED = 8192;
    private static final long TAINT_LIVEPATCH = 32768;
    private static final Pattern TASK = Pattern.compile("(\\d{1,9}) ([\\x21-\\x7e]{1,15})");
    private static final List<String> BASE_TASKS = List.of("1 systemd", "2 kthreadd", "812 sshd", "1042 patchfleet");
    private static final Duration TICK = Duration.ofMillis(10);

    /**
     * How transitions and loads go.
     *
     * @param transitionTime how long a transition takes, either direction; not negative
     * @param stall the patching transition never finishes (the stall tasks never switch);
     *     reversing it works
     * @param loadErrno when not 0, {@code finit_module} fails with this errno
     * @param crash {@code finit_module} crashes the simulated machine
     */
    public record Behaviour(Duration transitionTime, boolean stall, int loadErrno, boolean crash) {
        /** One second, as a real 2-CPU kernel takes; no faults. */
        public static final Behaviour NORMAL = new Behaviour(Duration.ofSeconds(1), false, 0, false);

        public Behaviour {
            Objects.requireNonNull(transitionTime, "transitionTime");
            if (transitionTime.isNegative() || loadErrno < 0) {
                throw new IllegalArgumentException("transition time and errno must not be negative");
            }
        }

        public Behaviour withTransitionTime(Duration time) {
            return new Behaviour(time, stall, loadErrno, crash);
        }

        public Behaviour withStall(boolean stall) {
            return new Behaviour(transitionTime, stall, loadErrno, crash);
        }

        public Behaviour withLoadErrno(int errno) {
            return new Behaviour(transitionTime, stall, errno, crash);
        }

        public Behaviour withCrash(boolean crash) {
            return new Behaviour(transitionTime, stall, loadErrno, crash);
        }

        /**
         * Applies {@code stall}, {@code crash}, {@code errno=N}, {@code transition_ms=N} (comma
         * separated) to this behaviour.
         *
         * @throws IllegalArgumentException for anything else
         */
        public Behaviour with(String faults) {
            Behaviour b = this;
            for (String f : faults.split(",")) {
                String s = f.trim();
                if (s.equals("stall")) {
                    b = b.withStall(true);
                } else if (s.equals("crash")) {
                    b = b.withCrash(true);
                } else if (s.startsWith("errno=")) {
                    b = b.withLoadErrno(Integer.parseInt(s.substring(6)));
                } else if (s.startsWith("transition_ms=")) {
                    b = b.withTransitionTime(Duration.ofMillis(Long.parseLong(s.substring(14))));
                } else {
                    throw new IllegalArgumentException("unknown simulated fault \"" + s
                            + "\": use stall, crash, errno=N or transition_ms=N");
                }
            }
            return b;
        }
    }

    /**
     * The simulated machine.
     *
     * @param kernel release, architecture and build ({@code uname -r}, {@code -m}, {@code -v})
     * @param livepatchSupported whether {@code sys/kernel/livepatch} exists
     * @param sigEnforce {@code module.sig_enforce}
     * @param lockdown {@code NONE}, {@code INTEGRITY} or {@code CONFIDENTIALITY}
     * @param replaceAll every livepatch replaces the ones before it, whatever its {@code .modinfo} says
     * @param stallTasks the tasks that block a stalled transition, {@code "<pid> <comm>"}
     * @param behaviour for every module without an override
     * @param perModule overrides by module name
     */
    public record Settings(KernelId kernel, boolean livepatchSupported, boolean sigEnforce, Preflight.Lockdown lockdown,
            boolean replaceAll, List<String> stallTasks, Behaviour behaviour, Map<String, Behaviour> perModule) {
        public Settings {
            Objects.requireNonNull(kernel, "kernel");
            Objects.requireNonNull(lockdown, "lockdown");
            Objects.requireNonNull(behaviour, "behaviour");
            if (lockdown == Preflight.Lockdown.UNKNOWN) {
                throw new IllegalArgumentException("a simulated lockdown is none, integrity or confidentiality");
            }
            stallTasks = List.copyOf(stallTasks);
            for (String t : stallTasks) {
                if (!TASK.matcher(t).matches()) {
                    throw new IllegalArgumentException("a stall task is \"<pid> <comm>\": " + t);
                }
            }
            perModule = Map.copyOf(perModule);
        }

        /** A Debian 6.1 x86_64 kernel with livepatch, no enforcement, no faults, 1 s transitions. */
        public static Settings defaults() {
            return new Settings(KernelId.of("6.1.0-56-amd64", "x86_64", "#1 SMP PREEMPT_DYNAMIC Debian 6.1.158-1 (2025-11-20)"),
                    true, false, Preflight.Lockdown.NONE, false, List.of("2718 fio"), Behaviour.NORMAL, Map.of());
        }

        public Settings withBehaviour(Behaviour b) {
            return new Settings(kernel, livepatchSupported, sigEnforce, lockdown, replaceAll, stallTasks, b, perModule);
        }

        public Settings withModule(String module, Behaviour b) {
            Map<String, Behaviour> m = new LinkedHashMap<>(perModule);
            m.put(module, b);
            return new Settings(kernel, livepatchSupported, sigEnforce, lockdown, replaceAll, stallTasks, behaviour, m);
        }

        public Settings withSecurity(boolean sigEnforce, Preflight.Lockdown lockdown) {
            return new Settings(kernel, livepatchSupported, sigEnforce, lockdown, replaceAll, stallTasks, behaviour, perModule);
        }

        public Settings withLivepatchSupported(boolean supported) {
            return new Settings(kernel, supported, sigEnforce, lockdown, replaceAll, stallTasks, behaviour, perModule);
        }

        public Settings withReplaceAll(boolean replaceAll) {
            return new Settings(kernel, livepatchSupported, sigEnforce, lockdown, replaceAll, stallTasks, behaviour, perModule);
        }

        /** The behaviour of a module: its override, else {@link #behaviour()}. */
        public Behaviour behaviourOf(String module) {
            return perModule.getOrDefault(module, behaviour);
        }
    }

    /** One livepatch as the simulated kernel tracks it. */
    private static final class Patch {
        final String name;
        final Behaviour behaviour;
        final List<String> replaces;
        boolean enabled;
        boolean transition;
        long endsAt;
        int signals;

        Patch(String name, Behaviour behaviour, List<String> replaces) {
            this.name = name;
            this.behaviour = behaviour;
            this.replaces = replaces;
        }

        boolean stalled() {
            return transition && enabled && behaviour.stall();
        }
    }

    private final Path root;
    private final Path livepatch;
    private final Path modules;
    private final Path proc;
    private volatile Settings settings;
    private final Map<String, Patch> patches = new LinkedHashMap<>();
    private final ScheduledExecutorService ticker;
    private int stackOrder;

    /** Boots a simulated kernel in {@code root}, or continues the one there. */
    public SimulatedKernel(Path root, Settings settings) throws IOException {
        this.root = root.toAbsolutePath();
        this.settings = Objects.requireNonNull(settings, "settings");
        this.livepatch = this.root.resolve("sys/kernel/livepatch");
        this.modules = this.root.resolve("sys/module");
        this.proc = this.root.resolve("proc");
        synchronized (this) {
            layout();
            restore();
        }
        this.ticker = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "simulated-kernel");
            t.setDaemon(true);
            return t;
        });
        ticker.scheduleWithFixedDelay(this::tickSafely, TICK.toMillis(), TICK.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** The folder; pass it to {@code LinuxApplier} as the root. */
    public Path root() {
        return root;
    }

    /** The marker a simulated crash leaves: module name, time and the boot id before the crash. */
    public Path crashMarker() {
        return root.resolve("crashed");
    }

    /** Changes the settings; loads after this use them, running transitions keep theirs. */
    public synchronized void configure(Settings newSettings) throws IOException {
        this.settings = Objects.requireNonNull(newSettings, "settings");
        layout();
    }

    public Settings settings() {
        return settings;
    }

    /** How often the applier signalled the stalled tasks of a patch (writes of 1 to {@code signal}). */
    public synchronized int signals(String patch) {
        Patch p = patches.get(patch);
        return p == null ? 0 : p.signals;
    }

    /** A clean boot: no modules, taint 0, a new boot id. The crash marker stays. */
    public synchronized void reboot() throws IOException {
        patches.clear();
        for (Path dir : list(livepatch)) {
            removeTree(dir);
        }
        for (Path dir : list(modules)) {
            if (!dir.getFileName().toString().equals("module")) {
                removeTree(dir);
            }
        }
        write(proc.resolve("sys/kernel/tainted"), "0");
        write(proc.resolve("sys/kernel/random/boot_id"), UUID.randomUUID().toString());
        updateTasks();
    }

    @Override
    public Uname uname() {
        KernelId k = settings.kernel();
        return new Uname(k.release(), k.build(), k.architecture());
    }

    @Override
    public synchronized int finitModule(Path module, String params, int flags) throws IOException {
        byte[] bytes = Files.readAllBytes(module);
        ModuleInfo info;
        try {
            info = ModuleInfoReader.read(bytes);
        } catch (ModuleFormatException e) {
            return Errno.ENOEXEC;
        }
        Settings s = settings;
        String name = info.name().orElse("");
        if (name.isEmpty()) {
            return Errno.ENOEXEC;
        }
        Behaviour b = s.behaviourOf(name);
        if (b.loadErrno() != 0) {
            return b.loadErrno();
        }
        boolean signed = SimulatedModules.isSigned(bytes);
        if (!signed && s.lockdown() != Preflight.Lockdown.NONE) {
            return Errno.EPERM;
        }
        if (!signed && s.sigEnforce()) {
            return Errno.EKEYREJECTED;
        }
        if (!info.kernelRelease().orElse("").equals(s.kernel().release())
                || !info.architecture().equals(s.kernel().architecture())) {
            return Errno.ENOEXEC;
        }
        if (Files.exists(modules.resolve(name))) {
            return Errno.EEXIST;
        }
        if (info.isLivepatch()) {
            if (!s.livepatchSupported()) {
                return Errno.ENOEXEC;
            }
            if (patches.values().stream().anyMatch(p -> p.transition)) {
                return Errno.EBUSY;
            }
        }
        if (b.crash()) {
            crash(name);
            throw new IOException("simulated kernel crash while loading " + name + " (the machine rebooted; see " + crashMarker() + ")");
        }
        long taint = (signed ? 0 : TAINT_UNSIGNED) | TAINT_OOT | (info.isLivepatch() ? TAINT_LIVEPATCH : 0);
        Path staging = staging(name);
        write(staging.resolve("initstate"), "live");
        write(staging.resolve("refcnt"), "0");
        write(staging.resolve("taint"), letters(taint));
        Files.move(staging, modules.resolve(name), StandardCopyOption.ATOMIC_MOVE);
        addTaint(taint);
        if (info.isLivepatch()) {
            boolean replace = s.replaceAll() || info.field("replace").map("Y"::equals).orElse(false);
            List<String> replaces = replace ? List.copyOf(patches.keySet()) : List.of();
            Patch p = new Patch(name, b, replaces);
            p.enabled = true;
            p.transition = true;
            p.endsAt = System.nanoTime() + b.transitionTime().toNanos();
            Path dir = staging(name);
            write(dir.resolve("enabled"), "1");
            write(dir.resolve("transition"), "1");
            write(dir.resolve("signal"), "");
            write(dir.resolve("force"), "");
            write(dir.resolve("replace"), replace ? "1" : "0");
            write(dir.resolve("stack_order"), Integer.toString(++stackOrder));
            Files.move(dir, livepatch.resolve(name), StandardCopyOption.ATOMIC_MOVE);
            patches.put(name, p);
            updateTasks();
            LOG.debug("Simulated kernel loaded livepatch {}", name);
        }
        return 0;
    }

    @Override
    public synchronized int deleteModule(String name, int flags) throws IOException {
        Path module = modules.resolve(name);
        if (name.equals("module") || !Files.isDirectory(module)) {
            return Errno.ENOENT;
        }
        if (patches.containsKey(name) || Files.exists(livepatch.resolve(name))) {
            return Errno.EAGAIN;
        }
        removeTree(module);
        return 0;
    }

    @Override
    public void close() {
        ticker.shutdownNow();
        try {
            ticker.awaitTermination(1, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // ---- the tick ----------------------------------------------------------------------------

    private void tickSafely() {
        try {
            tick();
        } catch (IOException | RuntimeException e) {
            LOG.warn("Simulated kernel tick failed: {}", e.toString());
        }
    }

    synchronized void tick() throws IOException {
        long now = System.nanoTime();
        boolean changed = false;
        for (Patch p : List.copyOf(patches.values())) {
            Path dir = livepatch.resolve(p.name);
            Optional<String> enabled = read(dir.resolve("enabled"));
            boolean otherTransition = patches.values().stream().anyMatch(o -> o != p && o.transition);
            if (enabled.isPresent() && !otherTransition) {
                if (enabled.get().equals("0") && p.enabled) {
                    p.enabled = false; // reverse, or start unpatching
                    p.endsAt = now + p.behaviour.transitionTime().toNanos();
                    if (!p.transition) {
                        p.transition = true;
                        write(dir.resolve("transition"), "1");
                    }
                    changed = true;
                } else if (enabled.get().equals("1") && !p.enabled && p.transition) {
                    p.enabled = true; // reverse the reversal
                    p.endsAt = now + p.behaviour.transitionTime().toNanos();
                    changed = true;
                }
            }
            if (read(dir.resolve("signal")).filter("1"::equals).isPresent()) {
                p.signals++;
                write(dir.resolve("signal"), "");
            }
            if (p.transition && !p.stalled() && now - p.endsAt >= 0) {
                complete(p);
                changed = true;
            }
        }
        if (changed) {
            updateTasks();
        }
    }

    private void complete(Patch p) throws IOException {
        p.transition = false;
        if (p.enabled) {
            write(livepatch.resolve(p.name).resolve("transition"), "0");
            for (String old : p.replaces) {
                if (patches.remove(old) != null) {
                    removeTree(livepatch.resolve(old)); // disabled by atomic replace; the module stays loaded
                }
            }
        } else {
            patches.remove(p.name);
            removeTree(livepatch.resolve(p.name));
        }
    }

    /** patch_state of every task: -1 outside transitions, else the target, or the old state for stalling tasks. */
    private void updateTasks() throws IOException {
        Optional<Patch> active = patches.values().stream().filter(p -> p.transition).findFirst();
        for (String task : tasks()) {
            String pid = task.substring(0, task.indexOf(' '));
            boolean stallTask = settings.stallTasks().contains(task);
            String state = "-1";
            if (active.isPresent()) {
                Patch p = active.get();
                int target = p.enabled ? 1 : 0;
                state = Integer.toString(stallTask && p.stalled() ? 1 - target : target);
            }
            write(proc.resolve(pid).resolve("task").resolve(pid).resolve("patch_state"), state);
        }
    }

    private List<String> tasks() {
        List<String> all = new ArrayList<>(BASE_TASKS);
        all.addAll(settings.stallTasks());
        return all;
    }

    // ---- boot, restore, crash ----------------------------------------------------------------

    private void layout() throws IOException {
        Settings s = settings;
        Files.createDirectories(modules.resolve("module/parameters"));
        if (s.livepatchSupported()) {
            Files.createDirectories(livepatch);
        } else if (Files.isDirectory(livepatch) && list(livepatch).isEmpty()) {
            Files.delete(livepatch);
        }
        write(modules.resolve("module/parameters/sig_enforce"), s.sigEnforce() ? "Y" : "N");
        write(root.resolve("sys/kernel/security/lockdown"), switch (s.lockdown()) {
            case INTEGRITY -> "none [integrity] confidentiality";
            case CONFIDENTIALITY -> "none integrity [confidentiality]";
            default -> "[none] integrity confidentiality";
        });
        Path kernel = proc.resolve("sys/kernel");
        if (!Files.exists(kernel.resolve("tainted"))) {
            write(kernel.resolve("tainted"), "0");
        }
        if (!Files.exists(kernel.resolve("random/boot_id"))) {
            write(kernel.resolve("random/boot_id"), UUID.randomUUID().toString());
        }
        write(kernel.resolve("modules_disabled"), "0");
        write(kernel.resolve("osrelease"), s.kernel().release());
        write(proc.resolve("self/status"), "Name:\tjava\nUid:\t0\t0\t0\t0\nCapInh:\t0000000000000000\n"
                + "CapPrm:\t000001ffffffffff\nCapEff:\t000001ffffffffff\n");
        for (String task : tasks()) {
            int space = task.indexOf(' ');
            String pid = task.substring(0, space);
            Path t = proc.resolve(pid).resolve("task").resolve(pid);
            write(t.resolve("comm"), task.substring(space + 1));
            if (!Files.exists(t.resolve("patch_state"))) {
                write(t.resolve("patch_state"), "-1");
            }
            if (s.stallTasks().contains(task)) {
                write(t.resolve("stack"), "[<0>] io_schedule+0x46/0x70\n[<0>] " + task.substring(space + 1)
                        + "_wait_io+0x3c/0x90\n[<0>] __x64_sys_io_getevents+0x12/0x20\n");
            }
        }
    }

    /** Picks up the patches a previous instance left; transitions that were running finish at the next tick. */
    private void restore() throws IOException {
        List<Path> dirs = new ArrayList<>(list(livepatch));
        dirs.sort(Comparator.comparingInt(d -> read(d.resolve("stack_order")).map(Integer::parseInt).orElse(0)));
        for (Path dir : dirs) {
            String name = dir.getFileName().toString();
            Patch p = new Patch(name, settings.behaviourOf(name).withStall(false), List.of());
            p.enabled = read(dir.resolve("enabled")).filter("1"::equals).isPresent();
            p.transition = read(dir.resolve("transition")).filter("1"::equals).isPresent();
            p.endsAt = System.nanoTime();
            patches.put(name, p);
            stackOrder = Math.max(stackOrder, read(dir.resolve("stack_order")).map(Integer::parseInt).orElse(0));
        }
        updateTasks();
    }

    private void crash(String module) throws IOException {
        String before = read(proc.resolve("sys/kernel/random/boot_id")).orElse("");
        LOG.warn("Simulated kernel crashes while loading {}", module);
        write(crashMarker(), "module=" + module + "\ntime=" + Instant.now() + "\nboot_id=" + before + "\n");
        reboot();
    }

    // ---- files -------------------------------------------------------------------------------

    private void addTaint(long bits) throws IOException {
        Path file = proc.resolve("sys/kernel/tainted");
        long taint = read(file).map(Long::parseLong).orElse(0L);
        write(file, Long.toString(taint | bits));
    }

    private static String letters(long taint) {
        return ((taint & TAINT_OOT) != 0 ? "O" : "") + ((taint & TAINT_UNSIGNED) != 0 ? "E" : "")
                + ((taint & TAINT_LIVEPATCH) != 0 ? "K" : "");
    }

    private Path staging(String name) throws IOException {
        Path dir = root.resolve(".staging").resolve(name + "-" + UUID.randomUUID());
        Files.createDirectories(dir);
        return dir;
    }

    /** Writes a value and a newline by atomic rename, so a reader never sees a half-written file. */
    private void write(Path file, String value) throws IOException {
        Path parent = file.getParent();
        if (!Files.isDirectory(parent)) {
            // Not createDirectories unconditionally: on an existing folder it throws and catches an
            // exception inside the JDK, the larger part of a write's cost (a fleet simulation opens
            // 10,000 kernels, each writing some 60 files).
            Files.createDirectories(parent);
        }
        Path tmp = file.resolveSibling("." + file.getFileName() + ".tmp");
        Files.writeString(tmp, value.isEmpty() ? "" : value + "\n", StandardCharsets.UTF_8);
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    private static Optional<String> read(Path file) {
        try {
            return Optional.of(Files.readString(file, StandardCharsets.UTF_8).trim());
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static List<Path> list(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        List<Path> out = new ArrayList<>();
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir, Files::isDirectory)) {
            s.forEach(out::add);
        }
        return out;
    }

    /** Removes a directory at once for readers (rename away), then deletes it. */
    private void removeTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        Path trash = root.resolve(".trash").resolve(dir.getFileName() + "-" + UUID.randomUUID());
        Files.createDirectories(trash.getParent());
        Files.move(dir, trash, StandardCopyOption.ATOMIC_MOVE);
        try (Stream<Path> walk = Files.walk(trash)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
