package io.patchfleet.server.machines.internal;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.patchfleet.model.KernelSupport;
import io.patchfleet.model.Machine;
import io.patchfleet.model.MachineId;
import io.patchfleet.model.MachineReport;
import io.patchfleet.model.PatchRelease;
import io.patchfleet.protocol.CheckInRequest;
import io.patchfleet.protocol.CheckInResponse;
import io.patchfleet.server.api.ApiException;
import io.patchfleet.server.api.ApiRequest;
import io.patchfleet.server.api.ApiResponse;
import io.patchfleet.server.api.Route;
import io.patchfleet.server.api.Scope;
import io.patchfleet.store.api.MachineStore;
import io.patchfleet.store.api.PatchCatalog;
import io.patchfleet.store.api.StoreException;
import io.patchfleet.store.api.StoredReport;
import io.patchfleet.trust.api.DelegatedTargets;
import io.patchfleet.trust.api.Directive;
import io.patchfleet.trust.api.TrustException;
import io.patchfleet.trust.api.TrustedMetadata;
import io.patchfleet.trust.api.VerifiedTarget;
import io.patchfleet.trust.tuf.KernelRoles;

/**
 * {@code POST /v1/check-in}, the hot path: records the machine's report, decides which patch the
 * machine should run through the rollout policy chain ({@link RolloutEngine}; the base policy is
 * the tier policy: the newest non-revoked cumulative patch promoted to the machine's tier for its
 * exact kernel), and answers with the publisher metadata the machine lacks,
 * a directive signed with the server's key, and the next check-in time with jitter. The answer
 * carries an ETag over everything but the directive's counter and times; a machine that sends it
 * back in {@code If-None-Match} gets 304 when nothing changed, and its report is still recorded.
 */
@Component
public class CheckInRoute implements Route {
    private static final Logger LOG = LoggerFactory.getLogger(CheckInRoute.class);

    private final MachineStore machines;
    private final PatchCatalog catalog;
    private final PublisherMirror mirror;
    private final DirectiveSigner signer;
    private final MachineApi api;
    private final RolloutEngine engine;
    private final MachineMetrics metrics;

    @Activate
    public CheckInRoute(@Reference MachineStore machines, @Reference PatchCatalog catalog,
            @Reference PublisherMirror mirror, @Reference DirectiveSigner signer, @Reference MachineApi api,
            @Reference RolloutEngine engine, @Reference MachineMetrics metrics) {
        this.engine = engine;
        this.metrics = metrics;
        this.machines = machines;
        this.catalog = catalog;
        this.mirror = mirror;
        this.signer = signer;
        this.api = api;
    }

    @Override
    public String method() {
        return "POST";
    }

    @Override
    public String path() {
        return "/v1/check-in";
    }

    @Override
    public Scope scope() {
        return Scope.MACHINE;
    }

    @Override
    public ApiResponse handle(ApiRequest request) throws ApiException {
        CheckInRequest body = request.bodyAs(CheckInRequest.class);
        String principal = request.principal().orElseThrow().name();
        return checkIn(principal, body, request.header("If-None-Match"), Instant.now());
    }

    /**
     * One check-in from the authenticated machine {@code principal} at {@code now}: everything
     * {@link #handle} does after reading the request. Apart so the fleet simulation drives the same
     * code on a simulated clock (waves, windows and soak times span hours there).
     */
    ApiResponse checkIn(String principal, CheckInRequest body, Optional<String> ifNoneMatch, Instant now) throws ApiException {
        if (!principal.equals(body.machineId())) {
            throw new ApiException(403, "machine-mismatch", "The report names machine " + body.machineId()
                    + " but the credential belongs to another machine");
        }
        MachineReport report;
        try {
            report = body.toReport();
        } catch (IllegalArgumentException | DateTimeParseException e) {
            throw ApiException.badRequest("invalid-report", e.getMessage());
        }
        try {
            long t = System.nanoTime();
            Machine machine = machines.find(report.machineId())
                    .orElseThrow(() -> new ApiException(401, "unauthorized", "This machine is no longer enrolled"));
            metrics.store("find-machine", t);
            t = System.nanoTime();
            machines.recordReport(new StoredReport(report, now));
            metrics.store("record-report", t);
            Decision decision = decide(machine, report, now);
            t = System.nanoTime();
            if (machines.recordDecision(machine.id(), decision.recorded(now))) {
                metrics.store("record-decision", t); // only changes are written; the steady state costs a map read
            }
            String etag = decision.etag();
            if (ifNoneMatch.map(etag::equals).orElse(false)) {
                metrics.notModified();
                return ApiResponse.empty(304).withHeader("ETag", etag);
            }
            String directive = decision.directive(signer, machine.id(), now, api.directiveTtlSeconds());
            CheckInResponse response = new CheckInResponse(decision.support.wireName(),
                    metadataDelta(decision.metadata, decision.role, body.trustedVersions()), directive,
                    decision.reason, decision.nextCheckIn(api.nextCheckInSeconds(), now));
            return ApiResponse.ok(response).withHeader("ETag", etag);
        } catch (StoreException e) {
            throw api.unavailable(e);
        } catch (TrustException e) {
            LOG.error("Signing a directive failed", e);
            throw new ApiException(500, "server-error", "The server could not sign its answer; see its log");
        }
    }

    /**
     * ETags by the text they digest: most check-ins get one of a handful of answers, so the
     * SHA-256 is computed once per distinct answer instead of once per check-in.
     */
    private static final java.util.concurrent.ConcurrentHashMap<String, String> ETAGS =
            new java.util.concurrent.ConcurrentHashMap<>();

    /** What the server tells one machine now. */
    private record Decision(KernelSupport support, Optional<VerifiedTarget> target, boolean revert, String reason,
            Optional<TrustedMetadata> metadata, String role, Instant notBefore, long offered) {

        Decision(KernelSupport support, Optional<VerifiedTarget> target, boolean revert, String reason,
                Optional<TrustedMetadata> metadata, String role) {
            this(support, target, revert, reason, metadata, role, Instant.MAX, 0);
        }

        Decision(KernelSupport support, Optional<VerifiedTarget> target, boolean revert, String reason,
                Optional<TrustedMetadata> metadata, String role, Instant notBefore) {
            this(support, target, revert, reason, metadata, role, notBefore, 0);
        }

        /**
         * Seconds to the next check-in: the configured interval, or sooner when a hold ends
         * before it (a maintenance window opens, a wave grows), so the machine is there when
         * the answer changes. Never sooner than a minute.
         */
        long nextCheckIn(long interval, Instant now) {
            if (notBefore.equals(Instant.MAX) || !notBefore.isAfter(now)) {
                return interval;
            }
            long until = java.time.Duration.between(now, notBefore).getSeconds() + 1;
            if (until >= interval) {
                return interval;
            }
            // Machines held until the same moment (a wave step) should not all arrive in that second.
            long spread = Math.min(300, until / 10);
            return Math.max(60, until + (spread > 0 ? java.util.concurrent.ThreadLocalRandom.current().nextLong(spread + 1) : 0));
        }

        /**
         * What the machine's status and reports show: offer (the patch), hold (why, until when)
         * or revert. A kernel without patches or a release without publisher metadata on this
         * server keeps the machine from a patch too, so they count as holds with their reason.
         */
        io.patchfleet.store.api.RolloutDecision recorded(Instant now) {
            if (offered > 0) {
                return io.patchfleet.store.api.RolloutDecision.offer(offered, now);
            }
            String why = reason == null ? "" : reason.startsWith("held: ") ? reason.substring(6) : reason;
            // A hold "until now" (some policies say so when they name no time) names no time: kept
            // as now, it would differ at every check-in and cost a write each time.
            return new io.patchfleet.store.api.RolloutDecision(revert ? "revert" : "hold", why,
                    notBefore.isAfter(now) && !notBefore.equals(Instant.MAX) ? Optional.of(notBefore) : Optional.empty(), now);
        }

        String etag() {
            String text = support.wireName() + "|" + target.map(t -> t.name() + "|" + t.hashes()).orElse("-") + "|" + revert
                    + "|" + reason + "|" + metadata.map(TrustedMetadata::timestampVersion).orElse(0L);
            String known = ETAGS.get(text);
            if (known != null) {
                return known;
            }
            if (ETAGS.size() >= 4096) {
                ETAGS.clear(); // distinct answers are few (kernels x tiers x reasons); this bounds odd cases
            }
            String etag = digest(text);
            ETAGS.put(text, etag);
            return etag;
        }

        private static String digest(String text) {
            try {
                byte[] digest = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
                return "\"" + HexFormat.of().formatHex(digest, 0, 16) + "\"";
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }

        String directive(DirectiveSigner signer, MachineId machine, Instant now, long ttlSeconds) throws TrustException {
            Instant expires = now.plusSeconds(ttlSeconds);
            Directive d;
            if (target.isPresent()) {
                d = Directive.install(machine, target.get(), signer.nextCounter(), now, expires);
            } else if (revert) {
                d = Directive.none(machine, signer.nextCounter(), now, expires);
            } else {
                return null;
            }
            return new String(signer.sign(d), StandardCharsets.UTF_8);
        }
    }

    private Decision decide(Machine machine, MachineReport report, Instant now) throws StoreException {
        var kernel = report.kernel();
        String role = KernelRoles.roleFor(kernel);
        Optional<PublisherMirror.State> state = mirror.current();
        Optional<TrustedMetadata> metadata = state.map(PublisherMirror.State::metadata);
        long t = System.nanoTime();
        boolean known = !catalog.findByKernel(kernel).isEmpty();
        metrics.store("catalog", t);
        if (!known) {
            return new Decision(KernelSupport.UNSUPPORTED, Optional.empty(), report.patchVersion() > 0,
                    "no patches are published for kernel " + kernel.release() + " " + kernel.architecture(), metadata, role);
        }
        t = System.nanoTime();
        List<PatchRelease> candidates = catalog.findAvailable(kernel, machine.tier());
        metrics.store("catalog", t);
        io.patchfleet.rollout.api.Decision answer = engine.evaluate(machine, report, candidates, now);
        metrics.decision(answer);
        if (answer instanceof io.patchfleet.rollout.api.Decision.Revert revert) {
            return new Decision(KernelSupport.SUPPORTED, Optional.empty(), true, revert.reason(), metadata, role);
        }
        if (answer instanceof io.patchfleet.rollout.api.Decision.Hold hold) {
            return new Decision(KernelSupport.SUPPORTED, Optional.empty(), false, "held: " + hold.reason(), metadata, role,
                    hold.notBefore());
        }
        PatchRelease offered = ((io.patchfleet.rollout.api.Decision.Offer) answer).release();
        Optional<VerifiedTarget> target = state.flatMap(s -> s.forKernel(kernel))
                .flatMap((DelegatedTargets d) -> d.target(offered.targetName()));
        if (target.isEmpty()) {
            // The catalog knows the release but this server holds no publisher-signed metadata for
            // it (yet): a directive the client could not verify would only be refused.
            return new Decision(KernelSupport.SUPPORTED, Optional.empty(), false,
                    "patch " + offered.version() + " awaits its publisher metadata on this server", metadata, role);
        }
        return new Decision(KernelSupport.SUPPORTED, target, false, null, metadata, role, Instant.MAX, offered.version());
    }

    /** The publisher files newer than what the machine trusts, verbatim from the mirror. */
    private Map<String, String> metadataDelta(Optional<TrustedMetadata> metadata, String role, Map<String, Long> trusted) {
        Map<String, String> files = new LinkedHashMap<>();
        if (metadata.isEmpty()) {
            return files;
        }
        TrustedMetadata m = metadata.get();
        addIfNewer(files, "timestamp", m.timestampVersion(), "timestamp.json", trusted);
        addIfNewer(files, "snapshot", m.snapshotVersion(), m.snapshotVersion() + ".snapshot.json", trusted);
        addIfNewer(files, "targets", m.targetsVersion(), m.targetsVersion() + ".targets.json", trusted);
        Long roleVersion = m.delegatedRoles().get(role);
        if (roleVersion != null) {
            addIfNewer(files, role, roleVersion, roleVersion + "." + role + ".json", trusted);
        }
        return files;
    }

    private void addIfNewer(Map<String, String> files, String role, long version, String file, Map<String, Long> trusted) {
        if (version <= trusted.getOrDefault(role, 0L)) {
            return;
        }
        try {
            mirror.metadataFile(file).ifPresent(bytes -> files.put(file, new String(bytes, StandardCharsets.UTF_8)));
        } catch (java.io.IOException e) {
            LOG.warn("Mirrored metadata {} unreadable: {}; the machine will fetch it", file, e.getMessage());
        }
    }
}
