package io.patchfleet.kernel.linux;

import static io.patchfleet.kernel.api.KernelException.Reason.IO;
import static io.patchfleet.kernel.api.KernelException.Reason.LOAD_REFUSED;
import static io.patchfleet.kernel.api.KernelException.Reason.NOT_FOUND;
import static io.patchfleet.kernel.api.KernelException.Reason.NOT_SUPPORTED;
import static io.patchfleet.kernel.api.KernelException.Reason.TRANSITION_STALLED;
import static io.patchfleet.kernel.api.KernelException.Reason.WRONG_PATCH_NAME;

import io.patchfleet.kernel.api.ApplyOptions;
import io.patchfleet.kernel.api.ApplyResult;
import io.patchfleet.kernel.api.KernelApplier;
import io.patchfleet.kernel.api.KernelException;
import io.patchfleet.kernel.api.LoadedPatch;
import io.patchfleet.kernel.api.Preflight;
import io.patchfleet.kernel.linux.internal.BlockingTasks;
import io.patchfleet.kernel.linux.internal.ErrnoMapping;
import io.patchfleet.kernel.linux.internal.SysFiles;
import io.patchfleet.kernel.module.ModuleFormatException;
import io.patchfleet.kernel.module.ModuleInfo;
import io.patchfleet.kernel.module.ModuleInfoReader;
import io.patchfleet.model.KernelId;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link KernelApplier} of Linux: {@code finit_module} and {@code delete_module} through
 * {@link KernelCalls}, everything else through the livepatch sysfs interface
 * ({@code Documentation/livepatch/livepatch.rst}) under a root folder — {@code /} for the
 * running kernel, a folder for the simulated kernel.
 *
 * <p>Files used, relative to the root: {@code sys/kernel/livepatch/<patch>/{enabled,transition,signal,replace,stack_order}},
 * {@code sys/module/<module>/taint} (a livepatch module carries taint {@code K}),
 * {@code sys/module/module/parameters/sig_enforce}, {@code sys/kernel/security/lockdown},
 * {@code proc/sys/kernel/{tainted,modules_disabled}}, {@code proc/self/status} (CapEff) and
 * {@code proc/<pid>/task/<tid>/{patch_state,comm,stack}}.
 *
 * <p>Every wait is bounded; changes run one at a time (a second concurrent change fails with
 * {@link KernelException.Reason#BUSY}). An interrupt does not cut a wait short, since leaving
 * a transition half-watched is worse than finishing the bounded wait; the interrupt status is
 * restored when the call returns.
 */
public final class LinuxApplier implements KernelApplier {
    private static final Logger LOG = LoggerFactory.getLogger(LinuxApplier.class);
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_]{1,55}");
    private static final int CAP_SYS_MODULE = 16;
    /** How long a disabled patch must keep its directory before a disable counts as done without its removal. */
    private static final long SETTLED_DISABLED = TimeUnit.SECONDS.toNanos(1);

    /**
     * Timing of the applier.
     *
     * @param pollInterval how often sysfs is read while waiting; 10 ms to 1 s
     * @param loadAttempts how often {@code finit_module} is tried while the kernel answers busy
     *     (kpatch: 5); at least 1
     * @param loadRetryDelay the pause between those tries (kpatch: 2 s); the apply timeout bounds
     *     the total
     * @param reverseTimeout how long a reversal (after a stalled apply) may take before the
     *     applier gives up and reports the kernel changed
     */
    public record Settings(Duration pollInterval, int loadAttempts, Duration loadRetryDelay, Duration reverseTimeout) {
        /** 100 ms polling, 5 load attempts 2 s apart, 10 s to reverse. */
        public static final Settings DEFAULTS = new Settings(Duration.ofMillis(100), 5, Duration.ofSeconds(2),
                Duration.ofSeconds(10));

        public Settings {
            Objects.requireNonNull(pollInterval, "pollInterval");
            Objects.requireNonNull(loadRetryDelay, "loadRetryDelay");
            Objects.requireNonNull(reverseTimeout, "reverseTimeout");
            if (pollInterval.toMillis() < 10 || pollInterval.toMillis() > 1000) {
                throw new IllegalArgumentException("poll interval must be 10 ms to 1 s: " + pollInterval);
            }
            if (loadAttempts < 1 || loadRetryDelay.isNegative()) {
                throw new IllegalArgumentException("load attempts must be at least 1 and the retry delay not negative");
            }
            ApplyOptions.checkTimeout(reverseTimeout);
        }
    }

    private final Path root;
    private final Path livepatch;
    private final KernelCalls calls;
    private final Settings settings;
    private final ReentrantLock changeLock = new ReentrantLock();

    /**
     * @param root the folder holding {@code sys/} and {@code proc/}: {@code /} on a real machine
     * @param calls the system calls
     */
    public LinuxApplier(Path root, KernelCalls calls, Settings settings) {
        this.root = Objects.requireNonNull(root, "root");
        this.calls = Objects.requireNonNull(calls, "calls");
        this.settings = Objects.requireNonNull(settings, "settings");
        this.livepatch = root.resolve("sys/kernel/livepatch");
    }

    public LinuxApplier(Path root, KernelCalls calls) {
        this(root, calls, Settings.DEFAULTS);
    }

    // ---- reads -------------------------------------------------------------------------------

    @Override
    public KernelId runningKernel() throws KernelException {
        KernelCalls.Uname u = uname();
        try {
            return KernelId.of(u.release(), u.machine(), u.version());
        } catch (IllegalArgumentException e) {
            throw new KernelException(IO, "unexpected uname: " + e.getMessage(), e);
        }
    }

    @Override
    public List<LoadedPatch> loadedPatches() throws KernelException {
        requireLivepatch();
        record Entry(LoadedPatch patch, int order) {}
        List<Entry> entries = new ArrayList<>();
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(livepatch, Files::isDirectory)) {
            for (Path dir : dirs) {
                String name = dir.getFileName().toString();
                if (!NAME.matcher(name).matches()) {
                    LOG.warn("Ignoring livepatch directory with an unexpected name: {}", name);
                    continue;
                }
                Optional<LoadedPatch> p = readPatch(name);
                if (p.isPresent()) { // else it went away while we listed
                    int order = SysFiles.readIfReadable(dir.resolve("stack_order")).map(LinuxApplier::parseIntOrMax)
                            .orElse(Integer.MAX_VALUE);
                    entries.add(new Entry(p.get(), order));
                }
            }
        } catch (IOException e) {
            throw new KernelException(IO, "cannot list " + livepatch + ": " + e.getMessage(), e);
        }
        entries.sort(Comparator.comparingInt(Entry::order).thenComparing(e -> e.patch().name()));
        return entries.stream().map(Entry::patch).toList();
    }

    @Override
    public Preflight preflight() throws KernelException {
        List<String> problems = new ArrayList<>();
        boolean supported = Files.isDirectory(livepatch);
        if (!supported) {
            problems.add("this kernel has no livepatch support (" + livepatch + " is missing; needs CONFIG_LIVEPATCH)");
        }
        boolean sigEnforced = sigEnforced();
        Preflight.Lockdown lockdown = lockdown();
        boolean mayLoad = true;
        try {
            calls.uname();
        } catch (IOException e) {
            mayLoad = false;
            problems.add(e.getMessage());
        }
        Optional<String> disabled = SysFiles.readIfReadable(root.resolve("proc/sys/kernel/modules_disabled"));
        if (disabled.filter("1"::equals).isPresent()) {
            mayLoad = false;
            problems.add("module loading is disabled until reboot (kernel.modules_disabled=1)");
        }
        Optional<Boolean> cap = capSysModule();
        if (cap.isEmpty()) {
            mayLoad = false;
            problems.add("cannot read the process capabilities (" + root.resolve("proc/self/status") + ")");
        } else if (!cap.get()) {
            mayLoad = false;
            problems.add("this process lacks CAP_SYS_MODULE: the client must run as root to load livepatches");
        }
        return new Preflight(supported, sigEnforced, lockdown, mayLoad, problems);
    }

    /**
     * The kernel taint mask, {@code /proc/sys/kernel/tainted}, read whole.
     *
     * @throws KernelException {@link KernelException.Reason#IO} if it cannot be read
     */
    public long taint() throws KernelException {
        Path file = root.resolve("proc/sys/kernel/tainted");
        try {
            String value = SysFiles.read(file).orElseThrow(() -> new NoSuchFileException(file.toString()));
            return Long.parseUnsignedLong(value);
        } catch (IOException | NumberFormatException e) {
            throw new KernelException(IO, "cannot read the kernel taint from " + file + ": " + e.getMessage(), e);
        }
    }

    // ---- changes -----------------------------------------------------------------------------

    /**
     * {@inheritDoc}
     *
     * <p>Before {@code finit_module}, the module file is read: it must declare itself a livepatch
     * ({@code livepatch=Y}), be named {@code expectedPatchName} (else
     * {@link KernelException.Reason#WRONG_PATCH_NAME}), and be built for the running kernel's
     * release and architecture (else {@link KernelException.Reason#LOAD_REFUSED}). A module of
     * that name that is already loaded is refused too ({@code LOAD_REFUSED}); check
     * {@link #loadedPatches()} first. Tasks are signalled once a fifth of the timeout has passed
     * (15 s of the default 75 s, as kpatch does).
     */
    @Override
    public ApplyResult apply(Path moduleFile, String expectedPatchName, ApplyOptions options) throws KernelException {
        Objects.requireNonNull(moduleFile, "moduleFile");
        Objects.requireNonNull(options, "options");
        checkName(expectedPatchName);
        long start = System.nanoTime();
        lock();
        boolean interrupted = Thread.interrupted();
        try {
            return doApply(moduleFile, expectedPatchName, options, start);
        } finally {
            changeLock.unlock();
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private ApplyResult doApply(Path moduleFile, String name, ApplyOptions options, long start) throws KernelException {
        long timeout = options.transitionTimeout().toNanos();
        long deadline = start + timeout;
        requireLivepatch();
        checkModule(moduleFile, name, uname());
        if (Files.exists(root.resolve("sys/module").resolve(name)) || Files.exists(livepatch.resolve(name))) {
            throw new KernelException(LOAD_REFUSED, "a module named " + name + " is already loaded; disable and unload it first");
        }
        List<String> enabledBefore = loadedPatches().stream().filter(LoadedPatch::enabled).map(LoadedPatch::name).toList();

        long loadStart = System.nanoTime();
        load(moduleFile, name, deadline);
        LOG.info("Loaded livepatch module {}; waiting for its transition", name);

        Optional<LoadedPatch> loaded = readPatch(name);
        if (loaded.isEmpty() || !loaded.get().enabled()) {
            boolean unloaded = unloadQuietly(name, System.nanoTime() + settings.reverseTimeout().toNanos());
            throw new KernelException(loaded.isEmpty() ? WRONG_PATCH_NAME : LOAD_REFUSED, loaded.isEmpty()
                    ? "module " + name + " loaded but registered no livepatch " + livepatch.resolve(name)
                    : "livepatch " + name + " loaded but did not enable itself",
                    List.of(), !unloaded, null);
        }

        long signalAt = start + timeout / 5;
        boolean signalled = !options.signalStalledTasks();
        while (true) {
            LoadedPatch p = readPatch(name).orElseThrow(() -> new KernelException(IO, "livepatch " + name
                    + " disappeared during its transition (kernel reset or another tool removed it)", List.of(), true, null));
            if (!p.inTransition()) {
                if (!p.enabled()) {
                    throw new KernelException(IO, "livepatch " + name + " was disabled by someone else during its transition",
                            List.of(), true, null);
                }
                break;
            }
            long now = System.nanoTime();
            if (now - deadline >= 0) {
                throw stalled(name, options.transitionTimeout());
            }
            if (!signalled && now - signalAt >= 0) {
                signalled = true;
                signal(name);
            }
            pause(Math.min(settings.pollInterval().toNanos(), deadline - now));
        }
        Duration transition = Duration.ofNanos(System.nanoTime() - loadStart);
        LOG.info("Livepatch {} enabled, transition finished in {} ms", name, transition.toMillis());

        List<String> replaced = options.replace() ? unloadReplaced(name, enabledBefore) : List.of();
        return new ApplyResult(name, transition, replaced, taint());
    }

    private void checkModule(Path moduleFile, String name, KernelCalls.Uname uname) throws KernelException {
        ModuleInfo info;
        try {
            info = ModuleInfoReader.read(moduleFile);
        } catch (IOException e) {
            throw new KernelException(IO, "cannot read module " + moduleFile + ": " + e.getMessage(), e);
        } catch (ModuleFormatException e) {
            throw new KernelException(LOAD_REFUSED, moduleFile.getFileName() + ": " + e.getMessage(), e);
        }
        if (!info.isLivepatch()) {
            throw new KernelException(LOAD_REFUSED, moduleFile.getFileName()
                    + " is not a livepatch module (its .modinfo lacks livepatch=Y); refused before loading");
        }
        String actual = info.name().orElse("");
        if (!actual.equals(name)) {
            throw new KernelException(WRONG_PATCH_NAME, moduleFile.getFileName() + " is module \"" + actual
                    + "\", expected livepatch \"" + name + "\"; refused before loading");
        }
        String release = info.kernelRelease().orElse("");
        if (!release.equals(uname.release())) {
            throw new KernelException(LOAD_REFUSED, "livepatch " + name + " was built for kernel \"" + release
                    + "\" (vermagic), but the running kernel is " + uname.release() + "; refused before loading");
        }
        if (!info.architecture().equals(uname.machine())) {
            throw new KernelException(LOAD_REFUSED, "livepatch " + name + " is built for " + info.architecture()
                    + ", but the machine is " + uname.machine() + "; refused before loading");
        }
    }

    private void load(Path moduleFile, String name, long deadline) throws KernelException {
        for (int attempt = 1;; attempt++) {
            int errno;
            try {
                errno = calls.finitModule(moduleFile, "", 0);
            } catch (IOException e) {
                throw new KernelException(IO, "cannot load " + name + ": " + e.getMessage(), e);
            }
            if (errno == 0) {
                return;
            }
            long delay = settings.loadRetryDelay().toNanos();
            if (ErrnoMapping.retryableLoad(errno) && attempt < settings.loadAttempts()
                    && System.nanoTime() + delay - deadline < 0) {
                LOG.info("Kernel busy loading {} ({}); retrying in {} ms (attempt {} of {})", name, Errno.name(errno),
                        settings.loadRetryDelay().toMillis(), attempt, settings.loadAttempts());
                pause(delay);
                continue;
            }
            throw ErrnoMapping.loadFailure(errno, name, sigEnforced(), lockdown());
        }
    }

    /** The forward transition timed out: name the blockers, reverse, unload, fail. */
    private KernelException stalled(String name, Duration timeout) {
        List<String> tasks = BlockingTasks.find(root.resolve("proc"), 1);
        LOG.warn("Livepatch {} transition did not finish in {} ms; reversing. Blocking tasks: {}", name, timeout.toMillis(), tasks);
        long reverseDeadline = System.nanoTime() + settings.reverseTimeout().toNanos();
        String outcome;
        boolean changed;
        try {
            SysFiles.write(livepatch.resolve(name).resolve("enabled"), "0");
            if (!waitGone(name, reverseDeadline)) {
                outcome = "the reversal did not finish within " + settings.reverseTimeout().toMillis()
                        + " ms either; the patch is left loaded, unpatching";
                changed = true;
            } else if (unloadQuietly(name, reverseDeadline)) {
                outcome = "reversed and unloaded";
                changed = false;
            } else {
                outcome = "reversed, but the module could not be unloaded";
                changed = true;
            }
        } catch (NoSuchFileException e) {
            changed = !unloadQuietly(name, reverseDeadline);
            outcome = changed ? "the patch vanished, but the module could not be unloaded" : "unloaded";
        } catch (IOException e) {
            outcome = "reversing failed (" + e.getMessage() + "); the patch is left loaded";
            changed = true;
        }
        return new KernelException(TRANSITION_STALLED, "the transition of livepatch " + name + " did not finish within "
                + timeout.toMillis() + " ms; " + outcome + (tasks.isEmpty() ? "" : "; blocking tasks: " + String.join(", ", tasks)),
                tasks, changed, null);
    }

    private void signal(String name) {
        Path signal = livepatch.resolve(name).resolve("signal");
        if (!Files.exists(signal)) {
            return;
        }
        try {
            SysFiles.write(signal, "1");
            LOG.info("Livepatch {} transition is slow; signalled the stalled tasks", name);
        } catch (IOException e) {
            LOG.warn("Cannot signal stalled tasks of livepatch {}: {}", name, e.getMessage());
        }
    }

    /**
     * After an atomic replace, the patches that were enabled before and whose sysfs directory the
     * kernel removed are disabled by the replace; their modules are unloaded. Nothing else is
     * touched, and a module that will not unload is left with a warning (the new patch is applied).
     */
    private List<String> unloadReplaced(String name, List<String> enabledBefore) {
        if (enabledBefore.isEmpty()) {
            return List.of();
        }
        long deadline = System.nanoTime() + Math.min(settings.reverseTimeout().toNanos(), TimeUnit.SECONDS.toNanos(3));
        boolean replaces = SysFiles.readIfReadable(livepatch.resolve(name).resolve("replace")).filter("1"::equals).isPresent();
        List<String> replaced = new ArrayList<>();
        for (String old : enabledBefore) {
            // The kernel frees replaced patches asynchronously after the transition: give it a moment.
            boolean gone = replaces ? waitGone(old, deadline) : !Files.exists(livepatch.resolve(old));
            if (!gone || !isLivepatchModule(old)) {
                continue;
            }
            if (unloadQuietly(old, deadline)) {
                LOG.info("Unloaded livepatch {}, replaced by {}", old, name);
                replaced.add(old);
            } else {
                LOG.warn("Livepatch {} was replaced by {} but its module would not unload", old, name);
            }
        }
        return replaced;
    }

    /**
     * {@inheritDoc}
     *
     * <p>A patch whose sysfs directory is gone while its module is still loaded (taint K) counts
     * as disabled.
     */
    @Override
    public void disable(String patchName, Duration transitionTimeout) throws KernelException {
        ApplyOptions.checkTimeout(transitionTimeout);
        checkName(patchName);
        long deadline = System.nanoTime() + transitionTimeout.toNanos();
        lock();
        boolean interrupted = Thread.interrupted();
        try {
            Optional<LoadedPatch> p = readPatch(patchName);
            if (p.isEmpty()) {
                if (isLivepatchModule(patchName)) {
                    return;
                }
                throw new KernelException(NOT_FOUND, "livepatch " + patchName + " is not loaded");
            }
            if (p.get().state() == LoadedPatch.TransitionState.DISABLED) {
                return;
            }
            Path enabled = livepatch.resolve(patchName).resolve("enabled");
            if (p.get().enabled()) {
                try {
                    SysFiles.write(enabled, "0");
                } catch (NoSuchFileException e) {
                    return;
                } catch (IOException e) {
                    throw new KernelException(IO, "cannot disable livepatch " + patchName + ": " + e.getMessage(), e);
                }
            }
            // Done when the directory is gone (kernels since 5.1); a kernel that keeps it shows
            // enabled=0, transition=0 for good, which is accepted once it has held for a while.
            long settledSince = 0;
            while (true) {
                Optional<LoadedPatch> now = readPatch(patchName);
                long t = System.nanoTime();
                if (now.isPresent() && now.get().state() == LoadedPatch.TransitionState.DISABLED) {
                    settledSince = settledSince == 0 ? t : settledSince;
                } else {
                    settledSince = 0;
                }
                if (now.isEmpty() || settledSince != 0 && t - settledSince >= SETTLED_DISABLED) {
                    LOG.info("Livepatch {} disabled", patchName);
                    return;
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    break;
                }
                pause(Math.min(settings.pollInterval().toNanos(), left));
            }
            List<String> tasks = BlockingTasks.find(root.resolve("proc"), 0);
            boolean changed;
            try {
                SysFiles.write(enabled, "1"); // reverse the reversal: back to patched, as before the call
                changed = false;
            } catch (IOException e) {
                changed = true;
            }
            throw new KernelException(TRANSITION_STALLED, "disabling livepatch " + patchName + " did not finish within "
                    + transitionTimeout.toMillis() + " ms; " + (changed ? "it is left unpatching" : "it was re-enabled")
                    + (tasks.isEmpty() ? "" : "; blocking tasks: " + String.join(", ", tasks)), tasks, changed, null);
        } finally {
            changeLock.unlock();
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * {@inheritDoc}
     *
     * <p>Only livepatch modules are unloaded: one with a sysfs livepatch directory or taint K; any
     * other module name gives {@link KernelException.Reason#NOT_FOUND}.
     */
    @Override
    public void unload(String patchName) throws KernelException {
        checkName(patchName);
        lock();
        try {
            if (!isLivepatchModule(patchName)) {
                throw new KernelException(NOT_FOUND, "no livepatch module " + patchName + " is loaded");
            }
            // A patch that is still enabled answers EAGAIN at once: the caller must disable it
            // first. Once its livepatch directory is gone the kernel drops its module reference a
            // moment later, from a work queue, so EAGAIN/EBUSY then is retried within the reverse
            // timeout instead of failing a disable-then-unload that is all but done.
            long deadline = System.nanoTime() + settings.reverseTimeout().toNanos();
            int errno = deleteModule(patchName);
            while ((errno == Errno.EAGAIN || errno == Errno.EBUSY) && !Files.exists(livepatch.resolve(patchName))
                    && deadline - System.nanoTime() > 0) {
                pause(Math.min(settings.pollInterval().toNanos(), deadline - System.nanoTime()));
                errno = deleteModule(patchName);
            }
            if (errno != 0) {
                throw ErrnoMapping.unloadFailure(errno, patchName);
            }
            LOG.info("Unloaded livepatch module {}", patchName);
        } finally {
            changeLock.unlock();
        }
    }

    // ---- helpers -----------------------------------------------------------------------------

    private void lock() throws KernelException {
        if (!changeLock.tryLock()) {
            throw new KernelException(KernelException.Reason.BUSY, "another kernel change is running; one at a time");
        }
    }

    private static void checkName(String name) throws KernelException {
        Objects.requireNonNull(name, "patch name");
        if (!NAME.matcher(name).matches()) {
            throw new KernelException(WRONG_PATCH_NAME, "invalid livepatch name \"" + name.replaceAll("\\p{Cntrl}", "?")
                    + "\": 1-55 of [A-Za-z0-9_]");
        }
    }

    private void requireLivepatch() throws KernelException {
        if (!Files.isDirectory(livepatch)) {
            throw new KernelException(NOT_SUPPORTED, "this kernel has no livepatch support (" + livepatch + " is missing)");
        }
    }

    private KernelCalls.Uname uname() throws KernelException {
        try {
            return calls.uname();
        } catch (IOException e) {
            throw new KernelException(IO, "cannot read uname: " + e.getMessage(), e);
        }
    }

    /** The patch's two flags; empty if its directory is gone (or going). */
    private Optional<LoadedPatch> readPatch(String name) throws KernelException {
        Path dir = livepatch.resolve(name);
        try {
            Optional<String> enabled = SysFiles.read(dir.resolve("enabled"));
            Optional<String> transition = SysFiles.read(dir.resolve("transition"));
            if (enabled.isEmpty() || transition.isEmpty()) {
                return Optional.empty();
            }
            return Optional.of(new LoadedPatch(name, "1".equals(enabled.get()), "1".equals(transition.get())));
        } catch (IOException e) {
            throw new KernelException(IO, "cannot read " + dir + ": " + e.getMessage(), e);
        }
    }

    private boolean waitGone(String name, long deadline) {
        Path dir = livepatch.resolve(name);
        while (Files.exists(dir)) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            pause(Math.min(settings.pollInterval().toNanos(), left));
        }
        return true;
    }

    /** delete_module, retried on EAGAIN until the deadline (the kernel drops its reference just after the directory goes). */
    private boolean unloadQuietly(String name, long deadline) {
        while (true) {
            int errno;
            try {
                errno = deleteModule(name);
            } catch (KernelException e) {
                LOG.warn("Cannot unload {}: {}", name, e.getMessage());
                return false;
            }
            if (errno == 0 || errno == Errno.ENOENT) {
                return true;
            }
            long left = deadline - System.nanoTime();
            if ((errno != Errno.EAGAIN && errno != Errno.EBUSY) || left <= 0) {
                LOG.warn("Cannot unload {}: {}", name, Errno.name(errno));
                return false;
            }
            pause(Math.min(settings.pollInterval().toNanos(), left));
        }
    }

    private int deleteModule(String name) throws KernelException {
        try {
            return calls.deleteModule(name, KernelCalls.O_NONBLOCK);
        } catch (IOException e) {
            throw new KernelException(IO, "cannot unload " + name + ": " + e.getMessage(), e);
        }
    }

    /** A livepatch module: it has a livepatch directory, or its module taint holds K (TAINT_LIVEPATCH). */
    private boolean isLivepatchModule(String name) {
        return Files.isDirectory(livepatch.resolve(name))
                || SysFiles.readIfReadable(root.resolve("sys/module").resolve(name).resolve("taint"))
                        .filter(t -> t.indexOf('K') >= 0).isPresent();
    }

    private boolean sigEnforced() {
        return SysFiles.readIfReadable(root.resolve("sys/module/module/parameters/sig_enforce")).filter("Y"::equals).isPresent();
    }

    private Preflight.Lockdown lockdown() {
        Optional<String> text = SysFiles.readIfReadable(root.resolve("sys/kernel/security/lockdown"));
        if (text.isEmpty()) {
            return Preflight.Lockdown.UNKNOWN;
        }
        String s = text.get();
        int open = s.indexOf('[');
        int close = s.indexOf(']', open + 1);
        if (open < 0 || close < 0) {
            return Preflight.Lockdown.UNKNOWN;
        }
        return switch (s.substring(open + 1, close)) {
            case "none" -> Preflight.Lockdown.NONE;
            case "integrity" -> Preflight.Lockdown.INTEGRITY;
            case "confidentiality" -> Preflight.Lockdown.CONFIDENTIALITY;
            default -> Preflight.Lockdown.UNKNOWN;
        };
    }

    /** CAP_SYS_MODULE in the effective set ({@code CapEff:} of {@code /proc/self/status}). */
    private Optional<Boolean> capSysModule() {
        Optional<String> status = SysFiles.readIfReadable(root.resolve("proc/self/status"));
        if (status.isEmpty()) {
            return Optional.empty();
        }
        for (String line : status.get().split("\n")) {
            if (line.startsWith("CapEff:")) {
                try {
                    long caps = Long.parseUnsignedLong(line.substring(7).trim(), 16);
                    return Optional.of((caps & (1L << CAP_SYS_MODULE)) != 0);
                } catch (NumberFormatException e) {
                    return Optional.empty();
                }
            }
        }
        return Optional.empty();
    }

    private static int parseIntOrMax(String s) {
        try {
            return Integer.parseInt(s.trim());
        } catch (NumberFormatException e) {
            return Integer.MAX_VALUE;
        }
    }

    /** Sleeps; an interrupt is remembered, not obeyed (see the class comment). */
    private static void pause(long nanos) {
        if (nanos <= 0) {
            return;
        }
        long end = System.nanoTime() + nanos;
        boolean interrupted = false;
        long left;
        while ((left = end - System.nanoTime()) > 0) {
            try {
                TimeUnit.NANOSECONDS.sleep(left);
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
