package io.patchfleet.client.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;

import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;

import io.patchfleet.client.internal.AgentState.AppliedPatch;
import io.patchfleet.kernel.api.ApplyOptions;
import io.patchfleet.kernel.api.ApplyResult;
import io.patchfleet.kernel.api.KernelApplier;
import io.patchfleet.kernel.api.KernelException;
import io.patchfleet.kernel.api.LoadedPatch;
import io.patchfleet.kernel.api.Preflight;
import io.patchfleet.kernel.module.ModuleFormatException;
import io.patchfleet.kernel.module.ModuleInfo;
import io.patchfleet.kernel.module.ModuleInfoReader;
import io.patchfleet.model.KernelId;
import io.patchfleet.model.MachineEvent;
import io.patchfleet.model.MachineId;
import io.patchfleet.model.PatchRelease;
import io.patchfleet.model.Sha256;
import io.patchfleet.protocol.CheckInRequest;
import io.patchfleet.protocol.CheckInRequest.WireEvent;
import io.patchfleet.protocol.CheckInResponse;
import io.patchfleet.protocol.EnrollRequest;
import io.patchfleet.protocol.EnrollResponse;
import io.patchfleet.protocol.WireKernel;
import io.patchfleet.trust.api.DelegatedTargets;
import io.patchfleet.trust.api.MetadataSource;
import io.patchfleet.trust.api.TrustAnchor;
import io.patchfleet.trust.api.TrustException;
import io.patchfleet.trust.api.TrustKey;
import io.patchfleet.trust.api.TrustService;
import io.patchfleet.trust.api.VerifiedDirective;
import io.patchfleet.trust.api.VerifiedTarget;
import io.patchfleet.trust.api.Verifier;
import io.patchfleet.trust.tuf.RepositoryDirectory;
import io.patchfleet.trust.tuf.TargetVerification;
import io.patchfleet.trust.tuf.TufKeys;

/**
 * The client agent: enrollment, the check loop, verification and the apply pipeline, and the
 * {@code status} verb. Every change of state runs on its one agent thread (check-ins, applies,
 * and the {@code enable}, {@code disable}, {@code config} and {@code refresh} verbs, which
 * submit their work to it), so nothing interleaves; {@code status} reads the last saved state.
 *
 * <p>Pipeline for a directive (DESIGN.md §2, §6): TUF refresh as a client of the publisher root
 * pinned at enable → the kernel's verified targets → the directive verified against them (Uptane
 * full verification) → cutoff date, patch delay, crash guard, run mode → download with resume →
 * bytes against the signed length and hashes → {@code .modinfo}: livepatch, name, kernel release,
 * architecture → preflight (signature enforcement, lockdown) → crash-guard marker → insertion
 * with atomic replace → state and events, reported with the next check-in.
 */
@Component(service = {ControlCommand.class, ClientDaemon.class}, immediate = true,
        configurationPid = ClientDaemon.PID, property = ControlCommand.NAME + "=status")
@Designate(ocd = ClientDaemon.Config.class)
public class ClientDaemon implements ControlCommand {
    static final String PID = "io.patchfleet.client";
    private static final Logger LOG = AgentLog.logger(ClientDaemon.class);
    /** Within this time after a transition settled, a reboot counts as a crash caused by the patch. */
    static final Duration SETTLE_WINDOW = Duration.ofSeconds(10);

    @ObjectClassDefinition(name = "Patchfleet client", description = "How the client reaches its server and what it may apply")
    public @interface Config {
        @AttributeDefinition(name = "Remote server", description = "Base URL of the Patchfleet server (remote-server)")
        String remote_server() default "http://127.0.0.1:8080";

        @AttributeDefinition(name = "Check interval", description = "Minutes between checks; 0 = manual only (check-interval)", min = "0")
        int check_interval() default 60;

        @AttributeDefinition(name = "HTTP proxy", description = "Proxy for http:// servers; empty: $http_proxy (http-proxy)")
        String http_proxy() default "";

        @AttributeDefinition(name = "HTTPS proxy", description = "Proxy for https:// servers; empty: $https_proxy (https-proxy)")
        String https_proxy() default "";

        @AttributeDefinition(name = "No proxy", description = "Hosts reached directly; empty: $no_proxy (no-proxy)")
        String no_proxy() default "";

        @AttributeDefinition(name = "CA certificates", description = "PEM file of CA certificates trusted besides the JDK's (ca-certs)")
        String ca_certs() default "";

        @AttributeDefinition(name = "Dial timeout", description = "Connect timeout, such as 12s (dial-timeout)")
        String dial_timeout() default "12s";

        @AttributeDefinition(name = "Cutoff date", description = "RFC 3339: apply only patches published before it (cutoff-date)")
        String cutoff_date() default "";

        @AttributeDefinition(name = "Patch delay", description = "Apply a patch only this long after publication, such as 24h (patch-delay)")
        String patch_delay() default "";

        @AttributeDefinition(name = "Log level", description = "error, warn, info, debug or trace (log-level)")
        String log_level() default "info";

        @AttributeDefinition(name = "Kernel applier", description = "Filter selecting the KernelApplier service (kernel)")
        String kernel_target() default "(kernel=linux)";

        @AttributeDefinition(name = "Machine id file", description = "Where the machine id is read")
        String machine_id_file() default "/etc/machine-id";

        @AttributeDefinition(name = "Kernel command line", description = "Where patchfleet.mode= is looked for")
        String cmdline_file() default "/proc/cmdline";

        @AttributeDefinition(name = "Boot id file", description = "Changes at every boot; the crash guard compares it")
        String boot_id_file() default "/proc/sys/kernel/random/boot_id";

        @AttributeDefinition(name = "Transition timeout (s)", description = "How long a patch transition may take before it is reversed", min = "1", max = "600")
        int transition_timeout_seconds() default 75;

        @AttributeDefinition(name = "Health checks", description = "Delays after an apply at which a health event reports whether the patch is still loaded, comma-separated (such as 1m,5m,15m)")
        String health_checks() default "1m,5m,15m";
    }

    private final KernelApplier kernel;
    private final TrustService trust;
    private final ClientFiles files;
    private final CrashGuard guard;
    private final HealthSchedule health;
    private final Path configDir;
    private final String clientVersion;
    private final RunMode runMode;
    private final ScheduledExecutorService agent;
    private volatile Config config;
    private volatile AgentState state;
    private volatile ScheduledFuture<?> nextCheck;
    private volatile Instant nextCheckAt;
    private volatile KernelId runningKernel;
    private volatile int failures;
    private Runnable once;
    /** The class-data archive to write after the first successful check-in, when bin/patchfleet asked for one; else null. */
    private volatile ClassDataArchive classData;
    /** /proc/cpuinfo's model name once read ("" when there is none). */
    private volatile String cpuModel;
    private volatile Map.Entry<String, Long> kernelRole;
    private volatile Map.Entry<String, Verifier> verifierCache;
    private volatile Map.Entry<String, ServerClient> serverCache;
    /** The server's last check-in hint in seconds (0: none); a 304 answer carries none, so it is kept. */
    private volatile long serverHintSeconds;

    @Activate
    public ClientDaemon(BundleContext context, Config config,
            @Reference(name = "kernel", target = "(kernel=linux)", policyOption = ReferencePolicyOption.GREEDY) KernelApplier kernel,
            @Reference TrustService trust) throws IOException {
        this(DataDirectory.of(context), configDirectory(context), version(context), config, kernel, trust, false);
        classData = ClassDataArchive.requested(context.getProperty("patchfleet.cds.archive"), context.getProperty("patchfleet.cds.jcmd"),
                context);
        if (Boolean.parseBoolean(context.getProperty("patchfleet.client.once"))) {
            // patchfleet client --once: one check-in (and apply), then the framework stops; for
            // timer-driven use that holds no memory between checks.
            once = () -> {
                Thread stopper = new Thread(() -> {
                    try {
                        context.getBundle(0).stop();
                    } catch (Exception e) {
                        LOG.error("Stopping after --once failed: {}", e.getMessage());
                    }
                }, "patchfleet-once-stop");
                stopper.start();
            };
        }
        agent.execute(this::startUp);
    }

    ClientDaemon(Path data, Path configDir, String clientVersion, Config config, KernelApplier kernel, TrustService trust,
            boolean start) throws IOException {
        this.config = config;
        AgentLog.apply(config.log_level());
        this.kernel = kernel;
        this.trust = trust;
        this.configDir = configDir;
        this.clientVersion = clientVersion;
        this.files = new ClientFiles(data.resolve("client"));
        this.guard = new CrashGuard(files.attempt);
        this.health = new HealthSchedule(files.health);
        this.state = files.state();
        this.runMode = RunMode.read(Path.of(config.cmdline_file()), configDir.resolve("run-mode"));
        ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "patchfleet-agent");
            t.setDaemon(true);
            return t;
        });
        executor.setRemoveOnCancelPolicy(true);
        this.agent = executor;
        LOG.info("Patchfleet client {} started; run mode {}; {}", clientVersion, runMode.wireName,
                enrollment().map(e -> "enabled with " + e.server()).orElse("not enabled (run 'patchfleet enable TOKEN')"));
        if (start) {
            agent.execute(this::startUp);
        }
    }

    private static Path configDirectory(BundleContext context) {
        String dir = context.getProperty("patchfleet.config");
        return dir != null && !dir.isBlank() ? Path.of(dir) : DataDirectory.of(context).resolve("etc");
    }

    private static String version(BundleContext context) {
        String version = context.getProperty("patchfleet.version");
        return version != null ? version : context.getBundle().getVersion().toString();
    }

    @Modified
    void modified(Config newConfig) {
        org.slf4j.event.Level before = AgentLog.threshold();
        org.slf4j.event.Level now = AgentLog.apply(newConfig.log_level());
        if (now != before) {
            // Said at the more verbose of the two levels, so that the change shows either way.
            (now.toInt() < before.toInt() ? LOG.atLevel(now) : LOG.atLevel(before))
                    .log("Log level {} (was {}), from the client configuration", now, before);
        }
        this.config = newConfig;
        serverCache = null;
        agent.execute(() -> schedule(intervalDelay(0)));
    }

    @Deactivate
    void deactivate() throws InterruptedException {
        agent.shutdownNow();
        // A request blocked on the network does not see the interrupt: close it.
        Map.Entry<String, ServerClient> server = serverCache;
        if (server != null) {
            server.getValue().abort();
        }
        agent.awaitTermination(ApplyOptions.MAX_TIMEOUT.toSeconds() + 30, TimeUnit.SECONDS);
    }

    // ---------------------------------------------------------------- start-up

    /** Runs once on the agent thread: crash guard, re-apply, first check-in. */
    void startUp() {
        try {
            runningKernel = kernel.runningKernel();
        } catch (KernelException e) {
            LOG.error("Cannot read the running kernel: {}", e.getMessage());
        }
        try {
            Optional<CrashGuard.Attempt> interrupted = guard.takeInterrupted();
            if (interrupted.isPresent()) {
                CrashGuard.Attempt a = interrupted.get();
                boolean rebooted = !a.bootId().equals(bootId());
                if (!a.settling() || rebooted) {
                    String why = "the insertion of patch " + a.version() + " (started " + a.startedAt() + ") was interrupted by "
                            + (rebooted ? "a reboot or kernel crash" : "the daemon's death")
                            + "; it is not retried until the server offers another version or an admin clears it";
                    LOG.error("Crash guard: {}", why);
                    AppliedPatch crashed = new AppliedPatch("", a.version(), "", a.sha256(), 0, "", List.of(), "", "");
                    update(state.withCrashed(crashed).withPatchState("apply-failed", why));
                    event(MachineEvent.Kind.ERROR, a.version(), "crash guard: " + why);
                }
            }
        } catch (IOException e) {
            LOG.error("Crash guard marker unreadable: {}", e.getMessage());
        }
        scheduleHealthChecks(health.pending());
        if (runMode == RunMode.STOP) {
            LOG.warn("Run mode stop: no checks and no patching until the daemon starts in another mode");
            if (once != null) {
                once.run();
            }
            return;
        }
        if (runMode != RunMode.NO_APPLY) {
            reapply();
        }
        if (runMode == RunMode.NO_REFRESH) {
            LOG.warn("Run mode no-refresh: no check-ins");
            if (once != null) {
                once.run();
            }
            return;
        }
        if (once != null) {
            try {
                check();
                checkedIn();
            } catch (NotEnabled e) {
                LOG.info("Not enabled: nothing to check (run 'patchfleet enable TOKEN')");
            } catch (Exception e) {
                LOG.error("Check-in failed: {}", describe(e));
            }
            once.run();
            return;
        }
        if (config.check_interval() > 0) {
            // The first check-in runs at once, without start-up jitter: a machine that was down
            // may have missed a patch (or a revocation) published meanwhile, and the server
            // learns of its new boot. A fleet rebooted all at once does not arrive in one instant
            // (firmware, disk checks and service order spread the daemons' starts over seconds
            // to minutes), its steady-state check-in is an ETag revalidation the server answers
            // from memory, and a server that is overwhelmed anyway spreads the herd out: failed
            // check-ins back off exponentially with jitter (half to all of each step), each check
            // after the first is jittered by ±10 % and follows the server's next-check-in hint.
            runScheduledCheck();
        }
        // Start-up and the first check-in leave most of the garbage this daemon will ever make
        // (class loading, the first TUF verification, HTTP and JSON set-up). One full collection
        // now lets the heap shrink to what an idle daemon holds (MaxHeapFreeRatio in
        // bin/patchfleet) instead of keeping it committed until the next check-in; it costs one
        // short pause, once. Measured in BENCHMARKS.md (client footprint).
        System.gc();
    }

    /** The applied patch again when the kernel does not have it (after a reboot); never earlier in boot than the daemon. */
    private void reapply() {
        AgentState s = state;
        AppliedPatch applied = s.applied();
        if (applied == null) {
            return;
        }
        try {
            if (isLoaded(applied.name())) {
                return;
            }
            if (s.crashed() != null && s.crashed().sha256().equals(applied.sha256())) {
                return;
            }
            Path file = Path.of(applied.file());
            VerifiedTarget t = new VerifiedTarget(applied.target(), applied.length(), Map.of("sha256", applied.sha256()), Optional.empty());
            TargetVerification.verify(t, file);
            LOG.info("Re-applying patch {} ({}) after a restart", applied.version(), applied.name());
            insert(applied, file, s.applied() == null ? null : s.previous());
        } catch (IOException | TrustException | KernelException e) {
            LOG.error("Re-applying patch {} failed: {}", applied.version(), e.getMessage());
            update(state.withPatchState("apply-failed", "re-applying patch " + applied.version() + " failed: " + e.getMessage()));
            event(MachineEvent.Kind.ERROR, applied.version(), "re-apply failed: " + e.getMessage());
        }
    }

    // ---------------------------------------------------------------- the loop

    private void runScheduledCheck() {
        Duration next;
        try {
            Optional<CheckInResponse> answer = check();
            failures = 0;
            checkedIn();
            next = delayAfterCheck(answer);
        } catch (NotEnabled e) {
            next = null;
        } catch (Exception e) {
            int failed = failures + 1;
            Duration backoff = Backoff.DEFAULT.delay(failed, ThreadLocalRandom.current()::nextDouble);
            Duration interval = intervalDelay(0);
            // Manual mode (check-interval 0) retries nothing on its own.
            next = interval == null ? null : backoff.compareTo(interval) < 0 ? backoff : interval;
            LOG.warn("Check-in failed ({} in a row): {}; {}", failed, describe(e),
                    next == null ? "no automatic retry (check-interval 0)" : "next try in " + next.toSeconds() + " s");
            // The retry time first, then the count: a status that shows the new count shows its retry time too.
            schedule(next);
            failures = failed;
            return;
        }
        schedule(next);
    }

    /**
     * The delay after a successful check-in. The server's hint holds until it sends another: an
     * unchanged answer (304) carries none, and falling back to the local interval then would
     * make a machine the server asked to check in every minute wait an hour after its first
     * unchanged answer (seen on the real-kernel test, where a revocation waited for it).
     */
    Duration delayAfterCheck(Optional<CheckInResponse> answer) {
        answer.ifPresent(r -> serverHintSeconds = r.nextCheckInSeconds());
        return intervalDelay(serverHintSeconds);
    }

    /** The delay to the next automatic check: the configured interval (±10 %), or sooner when the server asks; null when manual. */
    Duration intervalDelay(long serverHintSeconds) {
        int minutes = config.check_interval();
        if (minutes <= 0 || runMode != RunMode.NORMAL && runMode != RunMode.NO_APPLY) {
            return null;
        }
        long local = minutes * 60_000L;
        long jittered = local - local / 10 + ThreadLocalRandom.current().nextLong(local / 5 + 1);
        if (serverHintSeconds > 0) {
            jittered = Math.min(jittered, serverHintSeconds * 1000);
        }
        return Duration.ofMillis(jittered);
    }

    private void schedule(Duration delay) {
        ScheduledFuture<?> old = nextCheck;
        if (old != null) {
            old.cancel(false);
        }
        if (delay == null || agent.isShutdown()) {
            nextCheck = null;
            nextCheckAt = null;
            return;
        }
        nextCheckAt = Instant.now().plus(delay);
        nextCheck = agent.schedule(this::runScheduledCheck, delay.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Not enabled: nothing to check. */
    static final class NotEnabled extends Exception {
        private static final long serialVersionUID = 1L;

        NotEnabled() {
            super("the machine is not enabled");
        }
    }

    /** One check-in and whatever its answer asks for. Runs on the agent thread. */
    Optional<CheckInResponse> check() throws Exception {
        Enrollment e = enrollment().orElseThrow(NotEnabled::new);
        KernelId running = kernel.runningKernel();
        runningKernel = running;
        AgentState s = state;
        Instant now = Instant.now();
        List<EventQueue.Entry> events = files.events.snapshot();
        // The trusted versions: from the verifier when it is open, else as it last confirmed them
        // (AgentState#trusted), so that a no-change check-in after a start does not open it.
        Map<String, Long> trusted = s.trusted();
        if (openVerifier(e) != null || trusted.isEmpty()) {
            trusted = trustedVersions(verifier(e));
            if (!trusted.equals(s.trusted())) {
                update(state.withTrusted(trusted));
            }
        }
        long[] uptime = uptime(now);
        AppliedPatch applied = s.applied();
        CheckInRequest request = new CheckInRequest(e.machineId(), WireKernel.of(running), s.patchState(),
                applied == null ? 0 : applied.version(), clientVersion, Instant.ofEpochSecond(uptime[0]).toString(), uptime[1],
                events.stream().map(EventQueue.Entry::event).toList(), trusted, s.directiveCounter());
        ServerClient server = serverClient(e.server());
        LOG.debug("Check-in with {}: {} queued events, trusted metadata {}, ETag {}", e.server(), events.size(), trusted, s.etag());
        ServerClient.CheckIn answer;
        try {
            answer = server.checkIn(e.credential(), request, s.etag());
        } catch (IOException ex) {
            update(state.withCheck("check-failed", s.kernelSupport(), s.lastCheck(), now.toString(),
                    "check-in with " + e.server() + " failed: " + describe(ex), s.etag(), s.reason()));
            throw ex;
        }
        files.events.acknowledge(events);
        if (answer.notModified()) {
            update(state.withCheck("checked", s.kernelSupport(), now.toString(), now.toString(), null, s.etag(), s.reason()));
            return Optional.empty();
        }
        CheckInResponse r = answer.response();
        // The answer's ETag is saved only once the answer was acted on: a daemon killed while
        // acting (found by the kill -9 test) would otherwise get a 304 for an answer it never
        // carried out, and never see that patch again.
        update(state.withCheck("checked", r.kernelSupport(), now.toString(), now.toString(), null, null, r.reason()));
        if (r.directive() == null) {
            if (state.applied() == null) {
                update(state.withPatchState("kernel-upgrade-required".equals(r.kernelSupport())
                        ? "kernel-upgrade-required" : "nothing-to-apply", null));
            }
            saveEtag(answer.etag());
            return Optional.of(r);
        }
        act(e, running, verifier(e), server.metadata(e.credential(), r.metadata()), r.directive(), now);
        AgentState after = state;
        // Not acted on fully (failed, held back): the next check-in must get the whole answer
        // again rather than a 304, or a failed apply would never be retried.
        if (after.blocked().isEmpty() && ("applied".equals(after.patchState()) || "nothing-to-apply".equals(after.patchState()))
                && "checked".equals(after.checkState())) {
            saveEtag(answer.etag());
        }
        return Optional.of(r);
    }

    /** After a successful check-in: the class-data archive, if one is to be written (see {@link ClassDataArchive}). */
    private void checkedIn() {
        ClassDataArchive archive = classData;
        if (archive != null) {
            classData = null;
            if (once != null) {
                archive.afterCheckIn(); // before --once stops the JVM
                return;
            }
            // On its own thread: jcmd starts a JVM and the dump takes seconds on a busy machine,
            // which the agent (a patch to watch, a CLI waiting for its answer) should not wait for.
            Thread writer = new Thread(archive::afterCheckIn, "patchfleet-cds");
            writer.setDaemon(true);
            writer.start();
        }
    }

    private void saveEtag(String etag) {
        AgentState s = state;
        update(s.withCheck(s.checkState(), s.kernelSupport(), s.lastCheck(), s.lastAttempt(), s.lastError(), etag, s.reason()));
    }

    /** Verifies a directive against the publisher's metadata and acts on it. */
    private void act(Enrollment e, KernelId running, Verifier verifier, MetadataSource source, String directive, Instant now)
            throws IOException {
        VerifiedDirective verified;
        Map<String, VerifiedTarget> targets;
        try {
            verifier.refresh(source, now);
            Optional<DelegatedTargets> kernelTargets = verifier.targetsFor(running, source, now);
            kernelRole = kernelTargets.map(t -> Map.entry(t.role(), t.version())).orElse(null);
            targets = kernelTargets.map(DelegatedTargets::targets).orElse(Map.of());
            TrustKey key = TufKeys.fromKeyObject(e.directiveKey());
            verified = trust.verifyDirective(directive.getBytes(StandardCharsets.UTF_8), key, new MachineId(e.machineId()),
                    state.directiveCounter(), targets, now);
        } catch (IOException ex) {
            forgetVerifier(); // an update cut short: read the trusted metadata from disk again next time
            throw ex;
        } catch (TrustException ex) {
            forgetVerifier(); // read the trusted metadata from disk again next time
            String why = "refused the server's answer: " + ex.getMessage();
            LOG.error("Verification failed: {}", why);
            update(state.withCheck("check-failed", state.kernelSupport(), state.lastCheck(), now.toString(), why,
                    null, state.reason()));
            event(MachineEvent.Kind.ERROR, 0, why);
            return;
        }
        update(state.withCounter(verified.directive().counter()).withTrusted(trustedVersions(verifier)));
        if (verified.target().isEmpty()) {
            revert("the server directs: run no patch");
            return;
        }
        install(e, verified.target().get(), now);
    }

    private void install(Enrollment e, VerifiedTarget target, Instant now) {
        Optional<PatchRelease> release = target.patch();
        if (release.isEmpty()) {
            update(state.withPatchState("apply-failed", "target " + target.name() + " carries no patch fields"));
            return;
        }
        PatchRelease p = release.get();
        AgentState s = state;
        try {
            if (s.applied() != null && s.applied().sha256().equals(target.sha256().hex()) && isLoaded(s.applied().name())) {
                update(s.withBlocked(List.of()).withPatchState("applied", null));
                return;
            }
        } catch (KernelException ex) {
            update(s.withPatchState("apply-failed", ex.getMessage()));
            return;
        }
        if (s.crashed() != null) {
            if (s.crashed().sha256().equals(target.sha256().hex())) {
                block(p, "crashed: its insertion was interrupted by a crash or reboot; waiting for another version or an admin");
                return;
            }
            update(s.withCrashed(null)); // the server offers another version: the guard has done its job
        }
        Optional<String> policy = policyBlock(p, now);
        if (policy.isPresent()) {
            block(p, policy.get());
            return;
        }
        if (runMode == RunMode.NO_APPLY) {
            block(p, "run mode no-apply");
            return;
        }
        update(state.withBlocked(List.of()));
        long version = p.version();
        try {
            Preflight preflight = kernel.preflight();
            if (!preflight.canApply()) {
                throw new ApplyRefused("the kernel cannot load livepatches: " + String.join("; ", preflight.problems()));
            }
            Path file = download(e, target, p);
            checkModule(file, p, preflight);
            AppliedPatch patch = new AppliedPatch(p.moduleName(), version, target.name(), target.sha256().hex(), target.length(),
                    file.toString(), p.cves().stream().map(c -> Map.of("id", c.id(), "severity", c.severity().name().toLowerCase()))
                            .toList(), p.description(), p.publishedAt().toString());
            AppliedPatch before = state.applied();
            AppliedPatch previous = before != null && before.version() != version ? before : state.previous();
            if (isLoaded(patch.name())) {
                // Running already: the daemon was stopped after the kernel took it and before it
                // was recorded (the crash guard found its marker in the settle window, so it is no
                // crash). Recorded now rather than refused as a second load of the same name.
                LOG.warn("Patch {} ({}) is running already; recording it as applied", version, patch.name());
                update(state.withApplied(patch, previous));
                event(MachineEvent.Kind.AFTER_TRANSITION, version, "found running after a daemon restart; recorded as applied");
                startHealthChecks(patch);
                return;
            }
            insert(patch, file, previous);
        } catch (ApplyRefused | IOException | TrustException | KernelException ex) {
            String why = "patch " + version + ": " + ex.getMessage();
            LOG.error("Apply failed: {}", why);
            update(state.withPatchState("apply-failed", why));
            event(MachineEvent.Kind.ERROR, version, why);
        }
    }

    /** Why policy holds a patch back on this machine: cutoff date, patch delay. */
    Optional<String> policyBlock(PatchRelease p, Instant now) {
        Config c = config;
        if (!c.cutoff_date().isBlank() && !p.publishedAt().isBefore(Settings.instant(c.cutoff_date()))) {
            return Optional.of("cutoff-date: published " + p.publishedAt() + ", not before " + c.cutoff_date());
        }
        if (!c.patch_delay().isBlank()) {
            Instant allowed = p.publishedAt().plus(Settings.duration(c.patch_delay()));
            if (now.isBefore(allowed)) {
                return Optional.of("patch-delay: may be applied from " + allowed);
            }
        }
        return Optional.empty();
    }

    private void block(PatchRelease p, String why) {
        Map<String, Object> b = new LinkedHashMap<>();
        b.put("version", p.version());
        b.put("name", p.moduleName());
        b.put("publishedAt", p.publishedAt().toString());
        b.put("cves", p.cves().stream().map(c -> c.id()).toList());
        b.put("reason", why);
        update(state.withBlocked(List.of(b)).withPatchState(state.applied() == null ? "unapplied" : state.patchState(), null));
        LOG.info("Patch {} held back: {}", p.version(), why);
    }

    /** An apply refused before the kernel is touched. */
    static final class ApplyRefused extends Exception {
        private static final long serialVersionUID = 1L;

        ApplyRefused(String message) {
            super(message);
        }
    }

    private Path download(Enrollment e, VerifiedTarget target, PatchRelease p) throws IOException, TrustException {
        Path done = files.patches.resolve(target.sha256().hex() + ".ko");
        if (Files.isRegularFile(done)) {
            try {
                TargetVerification.verify(target, done);
                return done;
            } catch (TrustException bad) {
                Files.delete(done);
            }
        }
        Path part = files.downloads.resolve(target.sha256().hex() + ".part");
        serverClient(e.server()).download(e.credential(), target, part);
        try {
            TargetVerification.verify(target, part);
        } catch (TrustException bad) {
            Files.deleteIfExists(part); // never resume from bytes that do not verify
            throw bad;
        }
        Files.createDirectories(files.patches);
        Files.move(part, done, StandardCopyOption.ATOMIC_MOVE);
        JsonFiles.syncDirectory(files.patches);
        return done;
    }

    /** The module's own description must match the publisher's and this kernel exactly. */
    private void checkModule(Path file, PatchRelease p, Preflight preflight) throws IOException, ApplyRefused {
        ModuleInfo info;
        try {
            info = ModuleInfoReader.read(file);
        } catch (ModuleFormatException ex) {
            throw new ApplyRefused("not a kernel module: " + ex.getMessage());
        }
        KernelId running = runningKernel;
        if (!info.isLivepatch()) {
            throw new ApplyRefused("the module is not a livepatch");
        }
        if (!info.name().orElse("").equals(p.moduleName())) {
            throw new ApplyRefused("the module is named " + info.name().orElse("?") + ", the publisher says " + p.moduleName());
        }
        if (running != null && !info.kernelRelease().orElse("").equals(running.release())) {
            throw new ApplyRefused("the module was built for kernel " + info.kernelRelease().orElse("?") + " (vermagic "
                    + info.vermagic().orElse("?") + "), this machine runs " + running.release());
        }
        if (running != null && !info.architecture().equals(running.architecture())) {
            throw new ApplyRefused("the module is for " + info.architecture() + ", this machine is " + running.architecture());
        }
        boolean enforced = preflight.moduleSignaturesEnforced() || preflight.lockdown() == Preflight.Lockdown.INTEGRITY
                || preflight.lockdown() == Preflight.Lockdown.CONFIDENTIALITY;
        if (enforced && !isSigned(file)) {
            throw new ApplyRefused("the kernel enforces module signatures (sig_enforce or lockdown "
                    + preflight.lockdown().name().toLowerCase() + ") and this module is unsigned: it would refuse it");
        }
    }

    static boolean isSigned(Path file) throws IOException {
        byte[] magic = "~Module signature appended~\n".getBytes(StandardCharsets.US_ASCII);
        long size = Files.size(file);
        if (size < magic.length) {
            return false;
        }
        try (var ch = java.nio.channels.FileChannel.open(file)) {
            java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocate(magic.length);
            ch.read(buf, size - magic.length);
            return java.util.Arrays.equals(buf.array(), magic);
        }
    }

    /** Inserts a verified module behind the crash guard, then records it. */
    private void insert(AppliedPatch patch, Path file, AppliedPatch previous) throws IOException, KernelException {
        String boot = bootId();
        guard.begin(patch.version(), patch.sha256(), boot, false, Instant.now());
        event(MachineEvent.Kind.BEFORE_INSERT, patch.version(), patch.name());
        ApplyResult result;
        try {
            result = kernel.apply(file, patch.name(),
                    new ApplyOptions(Duration.ofSeconds(config.transition_timeout_seconds()), true, true));
        } catch (KernelException ex) {
            guard.end();
            throw ex;
        }
        // Still inside the settle window: a reboot now counts as a crash caused by the patch.
        guard.begin(patch.version(), patch.sha256(), boot, true, Instant.now());
        agent.schedule(() -> {
            try {
                guard.end();
            } catch (IOException ex) {
                LOG.warn("Crash guard marker not removed: {}", ex.getMessage());
            }
        }, SETTLE_WINDOW.toMillis(), TimeUnit.MILLISECONDS);
        event(MachineEvent.Kind.AFTER_INSERT, patch.version(), patch.name());
        event(MachineEvent.Kind.AFTER_TRANSITION, patch.version(), "transition " + result.transitionTime().toMillis()
                + " ms; replaced " + result.replaced() + "; taint " + result.taint());
        for (String old : result.replaced()) {
            LOG.info("Patch {} replaced {}", patch.name(), old);
        }
        // The health schedule before the record of the apply: a daemon killed between the two
        // (found by the kill -9 test) then still sends the health checks of a recorded apply.
        startHealthChecks(patch);
        update(state.withApplied(patch, previous));
        LOG.info("Applied patch {} ({}) in {} ms", patch.version(), patch.name(), result.transitionTime().toMillis());
    }

    /** The health checks after an apply, on disk first (HealthSchedule), then on the agent's timer. */
    private void startHealthChecks(AppliedPatch patch) {
        List<String> delays;
        try {
            delays = HealthSchedule.delays(config.health_checks());
        } catch (IllegalArgumentException ex) {
            LOG.warn("health.checks: {}; using 1m,5m,15m", ex.getMessage());
            delays = List.of("1m", "5m", "15m");
        }
        try {
            scheduleHealthChecks(health.start(patch.version(), patch.name(), delays, Instant.now()));
        } catch (IOException ex) {
            LOG.error("Scheduling the health checks of patch {} failed: {}", patch.version(), ex.getMessage());
        }
    }

    /** Timers for the health checks on disk; a restart calls this again with what is left. */
    private void scheduleHealthChecks(List<HealthSchedule.Check> checks) {
        Instant now = Instant.now();
        for (HealthSchedule.Check c : checks) {
            long delay = Math.max(0, Duration.between(now, c.due()).toMillis());
            agent.schedule(() -> healthCheck(c), delay, TimeUnit.MILLISECONDS);
        }
    }

    private void healthCheck(HealthSchedule.Check check) {
        if (!health.pending().contains(check)) {
            return; // a newer apply replaced the schedule
        }
        String prefix = check.after() + " after the apply";
        if (queuedHealthCheck(check, prefix)) {
            // Queued before the daemon stopped, which then had no time to strike it off the
            // schedule: done, not sent twice.
            markDone(check);
            return;
        }
        long late = Duration.between(check.due(), Instant.now()).toSeconds();
        String when = prefix + (late > 5 ? " (sent " + late + " s late: the daemon was not running)" : "");
        String detail;
        try {
            detail = when + ": " + (isLoaded(check.name()) ? "loaded" : "not loaded");
        } catch (KernelException e) {
            detail = when + ": " + e.getMessage();
        }
        event(MachineEvent.Kind.HEALTH_PING, check.version(), detail);
        markDone(check);
    }

    private void markDone(HealthSchedule.Check check) {
        try {
            health.done(check);
        } catch (IOException e) {
            LOG.warn("Health schedule not updated: {}", e.getMessage());
        }
    }

    /** Whether this check's event is already queued (same patch and delay, at or after its due time). */
    private boolean queuedHealthCheck(HealthSchedule.Check check, String prefix) {
        try {
            return files.events.snapshot().stream().map(EventQueue.Entry::event)
                    .anyMatch(ev -> MachineEvent.Kind.HEALTH_PING.wireName().equals(ev.kind()) && ev.patchVersion() == check.version()
                            && ev.detail().startsWith(prefix) && !Instant.parse(ev.time()).isBefore(check.due()));
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /**
     * Disables and unloads the applied patch.
     *
     * <p>What the kernel shows decides, not what was recorded: the patch is disabled when its
     * livepatch is still enabled, and its module is unloaded whenever it is still loaded. A
     * livepatch can be disabled while its module stays (by hand, by a reversal that ran before a
     * daemon restart, or by a revert whose unload raced the kernel dropping its reference); a
     * revert that only looked at enabled livepatches once reported such a module as reverted and
     * left it in the kernel (seen in the real-kernel test). A module that cannot be unloaded fails
     * the revert, which is retried on the next check-in.
     */
    private void revert(String why) {
        AppliedPatch applied = state.applied();
        if (applied == null) {
            unloadLeftover(state.previous());
            update(state.withBlocked(List.of()).withPatchState("nothing-to-apply", null));
            return;
        }
        if (runMode == RunMode.NO_APPLY) {
            update(state.withPatchState(state.patchState(), "run mode no-apply: not reverting patch " + applied.version()));
            return;
        }
        try {
            Optional<LoadedPatch> live = livepatch(applied.name());
            LOG.info("Reverting patch {} ({}; the kernel shows {}): {}", applied.version(), applied.name(),
                    live.map(l -> l.enabled() ? "it enabled" : "it disabled").orElse("no livepatch of that name"), why);
            if (live.isPresent() && live.get().enabled()) {
                kernel.disable(applied.name(), Duration.ofSeconds(config.transition_timeout_seconds()));
            }
            unloadIfLoaded(applied.name());
            event(MachineEvent.Kind.AFTER_TRANSITION, applied.version(), "reverted: " + why);
            update(state.withApplied(null, applied));
            LOG.info("Reverted patch {}: {}", applied.version(), why);
        } catch (KernelException e) {
            update(state.withPatchState("apply-failed", "reverting patch " + applied.version() + " failed: " + e.getMessage()));
            event(MachineEvent.Kind.ERROR, applied.version(), "revert failed: " + e.getMessage());
        }
    }

    /** The kernel's livepatch of that name in any state; empty when it has none or no livepatch support. */
    private Optional<LoadedPatch> livepatch(String name) throws KernelException {
        try {
            return kernel.loadedPatches().stream().filter(l -> l.name().equals(name)).findFirst();
        } catch (KernelException e) {
            if (e.reason() == KernelException.Reason.NOT_SUPPORTED) {
                return Optional.empty();
            }
            throw e;
        }
    }

    /** Unloads the livepatch module of that name if the kernel still has it; true when it did. */
    private boolean unloadIfLoaded(String name) throws KernelException {
        try {
            kernel.unload(name);
            return true;
        } catch (KernelException e) {
            if (e.reason() == KernelException.Reason.NOT_FOUND) {
                return false; // not loaded (any more): nothing to do
            }
            throw e;
        }
    }

    /**
     * A patch reverted earlier whose module is still in the kernel (its livepatch disabled): the
     * server directs no patch, so it is unloaded now. One that is enabled again is left alone;
     * someone else enabled it.
     */
    private void unloadLeftover(AppliedPatch previous) {
        if (previous == null || runMode == RunMode.NO_APPLY) {
            return;
        }
        try {
            Optional<LoadedPatch> live = livepatch(previous.name());
            if (live.isPresent() && live.get().enabled()) {
                return;
            }
            if (unloadIfLoaded(previous.name())) {
                LOG.warn("Unloaded module {} of the reverted patch {}: it was still loaded", previous.name(), previous.version());
            }
        } catch (KernelException e) {
            LOG.warn("Module {} of the reverted patch {} is still loaded and cannot be unloaded: {}", previous.name(),
                    previous.version(), e.getMessage());
        }
    }

    /** Whether the kernel runs the livepatch of that name (listed and enabled). */
    private boolean isLoaded(String name) throws KernelException {
        return livepatch(name).map(LoadedPatch::enabled).orElse(false);
    }

    // ---------------------------------------------------------------- verbs (run on the agent thread)

    <T> T onAgent(Callable<T> work, Duration timeout) throws ControlException {
        Future<T> f;
        try {
            f = agent.submit(work);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            throw new ControlException("stopping", "The client daemon is stopping");
        }
        try {
            return f.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw new ControlException("timeout", "The daemon is still working on it; see 'patchfleet status' later");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ControlException("interrupted", "Interrupted");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof ControlException c) {
                throw c;
            }
            LOG.error("Command failed", e.getCause());
            throw new ControlException("failed", String.valueOf(e.getCause().getMessage()));
        }
    }

    /** {@code enable}: enroll with the server, pin its directive key and the publisher root. */
    Map<String, Object> enable(String token, String serverArg, String rootSha256, boolean trustOnFirstUse) throws Exception {
        if (token == null || token.isBlank()) {
            throw new ControlException("usage", "An enrollment token is required");
        }
        if ((rootSha256 == null || rootSha256.isBlank()) == !trustOnFirstUse) {
            throw new ControlException("root-required", rootSha256 == null || rootSha256.isBlank()
                    ? "Give the publisher's root fingerprint (--root-sha256 HEX, the SHA-256 of its root.json) or choose "
                            + "--trust-on-first-use explicitly"
                    : "--root-sha256 and --trust-on-first-use exclude each other");
        }
        Sha256 pin = null;
        if (!trustOnFirstUse) {
            try {
                pin = Sha256.of(rootSha256.trim().toLowerCase());
            } catch (IllegalArgumentException e) {
                throw new ControlException("usage", "--root-sha256 must be 64 hexadecimal characters");
            }
        }
        String server = serverArg != null && !serverArg.isBlank() ? Settings.check(Settings.key("remote-server"), serverArg)
                : config.remote_server();
        String machineId = files.machineId(Path.of(config.machine_id_file()));
        KernelId running = kernel.runningKernel();
        ServerClient client = serverClient(server);
        EnrollResponse r;
        try {
            r = client.enroll(new EnrollRequest(token.trim(), machineId, WireKernel.of(running), List.of()));
        } catch (ServerClient.ServerException e) {
            throw new ControlException("enroll-refused", "The server refused the enrollment: " + e.getMessage());
        } catch (IOException e) {
            throw new ControlException("server-unreachable", "Cannot reach " + server + ": " + e.getMessage());
        }
        try {
            TufKeys.fromKeyObject(r.directiveKey());
        } catch (TrustException e) {
            throw new ControlException("enroll-refused", "The server's directive key is malformed: " + e.getMessage());
        }
        if (r.publisherRoot() == null || r.publisherRoot().isBlank()) {
            // The server has not mirrored a publisher repository yet: nothing to pin against, and
            // nothing it could direct this machine to apply. Enrolling is refused rather than
            // leaving a machine enabled without a trusted root.
            throw new ControlException("no-publisher-root", "The server " + server + " serves no publisher metadata yet "
                    + "(no publisher repository mirrored); enable again once it does");
        }
        // The publisher root: the pin decides, not the server. The verifier checks the root the
        // server handed out against the pin, then runs a whole TUF update from it, into a new
        // store that replaces the old one only when everything verified.
        Path fresh = files.tuf.resolveSibling("tuf.new");
        deleteTree(fresh);
        Enrollment previous = enrollment().orElse(null);
        try {
            Verifier v = trust.open(pin != null ? TrustAnchor.pinned(pin) : TrustAnchor.trustOnFirstUse(),
                    RepositoryDirectory.trustedStore(fresh));
            v.refresh(enrollmentMetadata(client, previous, server, r), Instant.now());
        } catch (TrustException e) {
            deleteTree(fresh);
            throw new ControlException("root-mismatch", "Refusing the server's publisher metadata: " + e.getMessage());
        } catch (IOException e) {
            deleteTree(fresh);
            throw new ControlException("server-unreachable", "Fetching the publisher metadata failed: " + e.getMessage());
        }
        forgetVerifier();
        deleteTree(files.tuf);
        Files.move(fresh, files.tuf, StandardCopyOption.ATOMIC_MOVE);
        Enrollment enrollment = new Enrollment(r.machineId(), r.credential(), server, r.tier(), r.directiveKey(),
                pin == null ? null : pin.hex(), trustOnFirstUse, Instant.now().toString());
        files.saveEnrollment(enrollment);
        AgentState s = state;
        if (previous == null || !previous.server().equals(server)) {
            s = s.withCounter(0);
        }
        update(s.withCheck("needs-check", "unknown", s.lastCheck(), s.lastAttempt(), null, null, null));
        LOG.info("Enabled: machine {} in tier {} of {}{}", r.machineId(), r.tier(), server,
                trustOnFirstUse ? " (publisher root trusted on first use)" : "");
        if (runMode == RunMode.NORMAL || runMode == RunMode.NO_APPLY) {
            agent.execute(this::runScheduledCheck);
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("machineId", r.machineId());
        out.put("tier", r.tier());
        out.put("server", server);
        out.put("trust", trustOnFirstUse ? "trust-on-first-use" : "pinned " + pin.hex());
        return out;
    }

    /**
     * The publisher metadata for enable's TUF update. Re-enabling with the same server, it is read
     * with the machine's current credential, not the new one: the server keeps the current one
     * valid until the new one is first used (EnrollmentStore), so a re-enable this client then
     * refuses (a root that does not match the pin, metadata that does not verify) leaves it with a
     * credential that still works. The new credential is first used by the check-in after the new
     * enrollment was saved. When the current one is refused (the machine was removed on the
     * server), the new one is used.
     */
    private static MetadataSource enrollmentMetadata(ServerClient client, Enrollment previous, String server, EnrollResponse r) {
        Map<String, String> inline = Map.of("root.json", r.publisherRoot());
        MetadataSource withNew = client.metadata(r.credential(), inline);
        if (previous == null || !previous.server().equals(server) || !previous.machineId().equals(r.machineId())) {
            return withNew;
        }
        MetadataSource withCurrent = client.metadata(previous.credential(), inline);
        boolean[] currentRefused = {false};
        return (fileName, maxLength) -> {
            if (!currentRefused[0]) {
                try {
                    return withCurrent.fetch(fileName, maxLength);
                } catch (ServerClient.ServerException e) {
                    if (e.status != 401 && e.status != 403) {
                        throw e;
                    }
                    currentRefused[0] = true;
                }
            }
            return withNew.fetch(fileName, maxLength);
        };
    }

    /** {@code disable}: forget the credential and the trusted metadata; unload only when asked. */
    Map<String, Object> disable(boolean unload) throws Exception {
        if (enrollment().isEmpty()) {
            throw new ControlException("not-enabled", "The machine is not enabled");
        }
        if (unload) {
            revert("disabled by the operator");
        }
        files.deleteEnrollment();
        forgetVerifier();
        deleteTree(files.tuf);
        files.events.acknowledge(files.events.snapshot());
        AgentState s = state;
        update(s.withCheck("needs-check", "unknown", s.lastCheck(), s.lastAttempt(), null, null, null).withCounter(0));
        schedule(null);
        return Map.of("enabled", false, "unloaded", unload && state.applied() == null);
    }

    /** {@code refresh}: check in now. */
    Map<String, Object> refresh(boolean clearCrash) throws Exception {
        if (enrollment().isEmpty()) {
            throw new ControlException("not-enabled", "The machine is not enabled; run 'patchfleet enable TOKEN'");
        }
        if (clearCrash && state.crashed() != null) {
            LOG.warn("Crash guard cleared by the operator for patch {}", state.crashed().version());
            update(state.withCrashed(null));
        }
        if (runMode == RunMode.STOP || runMode == RunMode.NO_REFRESH) {
            throw new ControlException("run-mode", "Run mode " + runMode.wireName + ": no check-ins");
        }
        try {
            Optional<CheckInResponse> answer = check();
            failures = 0;
            checkedIn();
            schedule(delayAfterCheck(answer));
        } catch (ControlException e) {
            throw e;
        } catch (Exception e) {
            throw new ControlException("check-failed", "The check-in failed: " + describe(e));
        }
        return status(false);
    }

    /** {@code refresh} without waiting: queue a check-in behind whatever the agent is doing. */
    void submitRefresh(boolean clearCrash) throws ControlException {
        if (clearCrash && state.crashed() != null) {
            LOG.warn("Crash guard cleared by the operator for patch {}", state.crashed().version());
            update(state.withCrashed(null));
        }
        if (runMode == RunMode.STOP || runMode == RunMode.NO_REFRESH) {
            throw new ControlException("run-mode", "Run mode " + runMode.wireName + ": no check-ins");
        }
        agent.execute(this::runScheduledCheck);
    }

    /** {@code config}: check and write {@code io.patchfleet.client.cfg}; FileInstall applies it. */
    Map<String, Object> configure(Map<String, String> pairs) throws Exception {
        Path cfg = configDir.resolve(PID + ".cfg");
        Map<String, String> checked;
        try {
            Map<String, String> resolved = new LinkedHashMap<>();
            for (Map.Entry<String, String> p : pairs.entrySet()) {
                String value = p.getValue();
                if (Settings.key(p.getKey()).name().equals("ca-certs") && value != null && value.contains("-----BEGIN")) {
                    Path pem = configDir.resolve("ca-certs.pem");
                    JsonFiles.writeBytes(pem, value.getBytes(StandardCharsets.US_ASCII));
                    value = pem.toString();
                }
                resolved.put(p.getKey(), value);
            }
            checked = Settings.checkAll(resolved);
        } catch (IllegalArgumentException e) {
            throw new ControlException("invalid-config", e.getMessage());
        }
        String ca = checked.get("ca.certs");
        if (ca != null && !ca.isEmpty()) {
            try {
                ServerClient.sslContext(Path.of(ca));
            } catch (IOException | GeneralSecurityException e) {
                throw new ControlException("invalid-config", "ca-certs: " + ca + ": " + e.getMessage());
            }
        }
        if (!checked.isEmpty()) {
            ConfigFile.update(cfg, checked);
        }
        Map<String, Object> out = new LinkedHashMap<>();
        Map<String, String> now = ConfigFile.read(cfg);
        for (Settings.Key k : Settings.KEYS) {
            out.put(k.name(), now.getOrDefault(k.property(), ""));
        }
        return out;
    }

    // ---------------------------------------------------------------- status

    @Override
    public Map<String, Object> execute(Map<String, Object> arguments) {
        return status(Boolean.TRUE.equals(arguments.get("verbose")));
    }

    Map<String, Object> status(boolean verbose) {
        Optional<Enrollment> enrollment = enrollment();
        AgentState s = state;
        KernelId running = runningKernel;
        Map<String, Object> kernelStatus = new LinkedHashMap<>();
        kernelStatus.put("running", running != null ? running.release() : System.getProperty("os.version"));
        kernelStatus.put("architecture", running != null ? running.architecture() : System.getProperty("os.arch"));
        kernelStatus.put("support", s.kernelSupport());
        kernelStatus.put("checkState", s.checkState());
        kernelStatus.put("patchState", s.patchState());
        AppliedPatch applied = s.applied();
        kernelStatus.put("patchVersion", applied == null ? null : applied.version());
        kernelStatus.put("patchName", applied == null ? null : applied.name());
        List<Map<String, Object>> fixes = new ArrayList<>();
        if (applied != null) {
            for (Map<String, String> cve : applied.cves()) {
                Map<String, Object> fix = new LinkedHashMap<>();
                fix.put("name", cve.get("id"));
                fix.put("severity", cve.get("severity"));
                fix.put("description", applied.description());
                fix.put("patched", true);
                fixes.add(fix);
            }
        }
        kernelStatus.put("fixes", fixes);
        Map<String, Object> status = new LinkedHashMap<>();
        status.put("enabled", enrollment.isPresent());
        status.put("clientVersion", clientVersion);
        status.put("machineId", enrollment.map(Enrollment::machineId).orElse(null));
        status.put("architecture", kernelStatus.get("architecture"));
        status.put("cpuModel", cpuModel());
        status.put("server", enrollment.map(Enrollment::server).orElse(config.remote_server()));
        status.put("tier", enrollment.map(Enrollment::tier).orElse(null));
        status.put("runMode", runMode.wireName);
        status.put("lastCheck", s.lastCheck());
        status.put("nextCheck", nextCheckAt == null ? null : nextCheckAt.toString());
        long[] uptime = uptime(Instant.now());
        status.put("bootTime", Instant.ofEpochSecond(uptime[0]).toString());
        status.put("uptimeSeconds", uptime[1]);
        status.put("publisherRoot", enrollment.map(e -> e.trustOnFirstUse() ? "trust-on-first-use" : "pinned " + e.rootSha256())
                .orElse(null));
        status.put("kernel", kernelStatus);
        status.put("message", s.lastError() != null ? s.lastError() : s.reason());
        if (s.crashed() != null) {
            status.put("crashed", Map.of("version", s.crashed().version(), "sha256", s.crashed().sha256()));
        }
        if (verbose) {
            status.put("blocked", s.blocked());
            status.put("previousPatch", s.previous() == null ? null : s.previous().version());
            status.put("directiveCounter", s.directiveCounter());
            status.put("queuedEvents", queuedEvents());
            status.put("failedChecks", failures); // consecutive failed automatic checks: the backoff step
            enrollment.ifPresent(e -> {
                try {
                    verifier(e).current().ifPresent(m -> {
                        status.put("metadataExpires", m.expires().toString());
                        status.put("metadataExpired", m.isExpired(Instant.now()));
                    });
                } catch (IOException | TrustException ex) {
                    status.put("metadataError", ex.getMessage());
                }
            });
        }
        return status;
    }

    /** {@code kernel-upgrade-required}: whether the server says this kernel needs an upgrade to get patches. */
    Map<String, Object> upgradeRequired() {
        String support = state.kernelSupport();
        boolean required = "kernel-upgrade-required".equals(support) || "kernel-end-of-life".equals(support);
        return Map.of("required", required, "support", support);
    }

    // ---------------------------------------------------------------- helpers

    Optional<Enrollment> enrollment() {
        try {
            return files.enrollment();
        } catch (IOException e) {
            LOG.error("Enrollment file {} is unreadable: {}", files.enrollment, e.getMessage());
            return Optional.empty();
        }
    }

    AgentState state() {
        return state;
    }

    RunMode runMode() {
        return runMode;
    }

    private int queuedEvents() {
        try {
            return files.events.snapshot().size();
        } catch (IOException e) {
            return -1;
        }
    }

    private synchronized void update(AgentState next) {
        state = next;
        try {
            files.save(next);
        } catch (IOException e) {
            LOG.error("Saving the client state failed: {}", e.getMessage());
        }
    }

    private void event(MachineEvent.Kind kind, long version, String detail) {
        try {
            String d = detail.length() > MachineEvent.MAX_DETAIL ? detail.substring(0, MachineEvent.MAX_DETAIL) : detail;
            files.events.append(new WireEvent(kind.wireName(), Instant.now().toString(), version, d));
        } catch (IOException e) {
            LOG.error("Queueing event {} failed: {}", kind.wireName(), e.getMessage());
        }
    }

    /**
     * The verifier of the trusted metadata, kept between check-ins: opening one reads and
     * re-verifies every trusted role's signatures, which made most of a no-change check-in's CPU
     * time. Opened again after enable (a new enrollment), and dropped after disable and after a
     * failed verification, so that what it holds never differs from what is on disk.
     */
    private Verifier verifier(Enrollment e) throws IOException, TrustException {
        Verifier open = openVerifier(e);
        if (open != null) {
            return open;
        }
        TrustAnchor anchor = e.trustOnFirstUse() ? TrustAnchor.trustOnFirstUse() : TrustAnchor.pinned(Sha256.of(e.rootSha256()));
        Verifier v = trust.open(anchor, RepositoryDirectory.trustedStore(files.tuf));
        verifierCache = Map.entry(verifierKey(e), v);
        return v;
    }

    /** The verifier kept for this enrollment, or null when none is open. */
    private Verifier openVerifier(Enrollment e) {
        Map.Entry<String, Verifier> cached = verifierCache;
        return cached != null && cached.getKey().equals(verifierKey(e)) ? cached.getValue() : null;
    }

    private static String verifierKey(Enrollment e) {
        return e.server() + " " + e.enrolledAt() + " " + e.rootSha256() + " " + e.trustOnFirstUse();
    }

    /**
     * Drops the open verifier and the trusted versions the state remembers (AgentState#trusted):
     * the trusted store changed (enable, disable) or an update of it failed, so the next
     * check-in reads it from disk again and tells the server what it found.
     */
    private void forgetVerifier() {
        verifierCache = null;
        if (!state.trusted().isEmpty()) {
            update(state.withTrusted(Map.of()));
        }
    }

    /** The trusted versions a check-in tells the server: the top-level roles and this kernel's role. */
    private Map<String, Long> trustedVersions(Verifier verifier) {
        Map<String, Long> trusted = new LinkedHashMap<>();
        verifier.current().ifPresent(m -> {
            trusted.put("timestamp", m.timestampVersion());
            trusted.put("snapshot", m.snapshotVersion());
            trusted.put("targets", m.targetsVersion());
        });
        Map.Entry<String, Long> role = kernelRole;
        if (role != null && !trusted.isEmpty()) {
            trusted.put(role.getKey(), role.getValue()); // so the server stops resending an unchanged kernel role
        }
        return trusted;
    }

    /**
     * The HTTP client for a server, kept while the settings stay the same (reading the CA
     * certificates and building a TLS context per check-in would cost CPU at every check-in). A
     * configuration change drops it.
     */
    private ServerClient serverClient(String server) throws IOException {
        Config c = config;
        String key = server + " " + c.dial_timeout() + " " + c.http_proxy() + " " + c.https_proxy() + " " + c.no_proxy() + " "
                + c.ca_certs();
        Map.Entry<String, ServerClient> cached = serverCache;
        if (cached != null && cached.getKey().equals(key)) {
            return cached.getValue();
        }
        try {
            Duration dial = Settings.duration(c.dial_timeout().isBlank() ? "12s" : c.dial_timeout());
            ProxySettings proxy = new ProxySettings(c.http_proxy(), c.https_proxy(), c.no_proxy(), System.getenv());
            ServerClient client = new ServerClient(server, dial, proxy, c.ca_certs().isBlank() ? null : Path.of(c.ca_certs()));
            serverCache = Map.entry(key, client);
            return client;
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            throw new IOException("client settings: " + e.getMessage(), e);
        }
    }

    private String bootId() {
        try {
            return Files.readString(Path.of(config.boot_id_file())).trim();
        } catch (IOException e) {
            return "unknown";
        }
    }

    /** Boot time (epoch seconds) and uptime (seconds), from /proc/uptime; the JVM's when unreadable. */
    private static long[] uptime(Instant now) {
        long up;
        try {
            String line = Files.readString(Path.of("/proc/uptime")).trim(); // "SECONDS IDLE-SECONDS"
            int space = line.indexOf(' ');
            up = (long) Double.parseDouble(space < 0 ? line : line.substring(0, space));
        } catch (IOException | RuntimeException e) {
            up = java.lang.management.ManagementFactory.getRuntimeMXBean().getUptime() / 1000;
        }
        return new long[] {now.getEpochSecond() - up, up};
    }

    /** The CPU model, read once: /proc/cpuinfo does not change while the daemon runs, and {@code status} asked for it every time. */
    private String cpuModel() {
        String model = cpuModel;
        if (model == null) {
            model = readCpuModel();
            cpuModel = model == null ? "" : model;
        }
        return model == null || model.isEmpty() ? null : model;
    }

    private static String readCpuModel() {
        try (Stream<String> lines = Files.lines(Path.of("/proc/cpuinfo"))) {
            return lines.filter(l -> l.startsWith("model name")).map(l -> l.substring(l.indexOf(':') + 1).trim()).findFirst()
                    .orElse(null);
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /**
     * What went wrong, for a person: the first message along the causes, else the exception's
     * kind (a network exception may come without a message).
     */
    static String describe(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t.getMessage() != null && !t.getMessage().isBlank()) {
                return t.getMessage();
            }
        }
        if (e instanceof java.net.ConnectException) {
            return "connection refused or unreachable";
        }
        if (e instanceof java.net.SocketTimeoutException) {
            return "timed out";
        }
        return e.getClass().getSimpleName();
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
