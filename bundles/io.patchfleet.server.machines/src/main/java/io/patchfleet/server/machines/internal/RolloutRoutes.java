package io.patchfleet.server.machines.internal;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.fasterxml.jackson.databind.ObjectMapper;

import io.patchfleet.model.KernelId;
import io.patchfleet.model.Machine;
import io.patchfleet.model.MachineId;
import io.patchfleet.model.PatchRelease;
import io.patchfleet.model.Tier;
import io.patchfleet.model.TierName;
import io.patchfleet.rollout.api.FleetHealth;
import io.patchfleet.rollout.api.ReleaseRollout;
import io.patchfleet.server.api.ApiException;
import io.patchfleet.server.api.ApiRequest;
import io.patchfleet.server.api.ApiResponse;
import io.patchfleet.server.api.Route;
import io.patchfleet.server.api.Scope;
import io.patchfleet.store.api.AuditLog;
import io.patchfleet.store.api.HealthCount;
import io.patchfleet.store.api.MachineFilter;
import io.patchfleet.store.api.MachineStore;
import io.patchfleet.store.api.PatchCatalog;
import io.patchfleet.store.api.RolloutRecord;
import io.patchfleet.store.api.StoreException;
import io.patchfleet.store.api.TierStore;

/**
 * Rollout operations in the admin API: {@code GET /v1/admin/rollouts} (status per release and
 * tier: state, cause, wave and exposure as each policy describes it, the real exposure (machines
 * whose last check-in was offered the release, of the tier's machines on its kernel), fleet health, machines per
 * patch state, held reasons) and {@code POST /v1/admin/rollouts/{pause|resume|abort|advance|approve}};
 * and {@code PUT /v1/admin/machines/{id}/tags}, since tags are what rollout policies select on.
 * They live beside the rollout engine because status reads its in-memory state.
 *
 * <p>Roles: status needs auditor, changes need operator (admin implies both). Every change is
 * stored before the answer and written to the audit log with the state before and after.
 */
@Component(immediate = true, service = {})
public class RolloutRoutes {
    private static final Logger LOG = LoggerFactory.getLogger(RolloutRoutes.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    static final Set<String> ACTIONS = new LinkedHashSet<>(List.of("pause", "resume", "abort", "advance", "approve"));

    /** The body of every rollout change: which release in which tier, and why. */
    public record Change(String kernel, String architecture, String build, Long version, String tier, String reason,
            Boolean revert) {}

    public record Tags(List<String> tags) {}

    private final RolloutEngine engine;
    private final RolloutRegistry registry;
    private final PatchCatalog catalog;
    private final TierStore tiers;
    private final MachineStore machines;
    private final AuditLog audit;
    private final List<ServiceRegistration<Route>> registrations = new ArrayList<>();

    @Activate
    public RolloutRoutes(BundleContext context, @Reference RolloutEngine engine, @Reference PatchCatalog catalog,
            @Reference TierStore tiers, @Reference MachineStore machines, @Reference AuditLog audit) {
        this.engine = engine;
        this.registry = engine.registry();
        this.catalog = catalog;
        this.tiers = tiers;
        this.machines = machines;
        this.audit = audit;
        if (context != null) {
            for (Route r : routes()) {
                registrations.add(context.registerService(Route.class, r, null));
            }
        }
    }

    @Deactivate
    void deactivate() {
        for (ServiceRegistration<Route> r : registrations) {
            try {
                r.unregister();
            } catch (IllegalStateException gone) {
                // the bundle is stopping
            }
        }
        registrations.clear();
    }

    @FunctionalInterface
    interface Handler {
        ApiResponse handle(ApiRequest r, String actor) throws ApiException, StoreException;
    }

    /** One admin route: scope admin, one role, store failures mapped to JSON errors. */
    record AdminRoute(String method, String path, Set<String> roles, Handler handler) implements Route {
        @Override
        public Scope scope() {
            return Scope.ADMIN;
        }

        @Override
        public ApiResponse handle(ApiRequest request) throws ApiException {
            try {
                return handler.handle(request, request.principal().map(p -> p.name()).orElse("?"));
            } catch (StoreException e) {
                throw switch (e.reason()) {
                    case NOT_FOUND -> ApiException.notFound(e.getMessage());
                    case CONFLICT -> new ApiException(409, "conflict", e.getMessage());
                    default -> {
                        LOG.error("{} {}: storage failure", method, path, e);
                        yield new ApiException(503, "unavailable", "The server's storage is unavailable; try again");
                    }
                };
            } catch (IllegalArgumentException e) {
                throw ApiException.badRequest("invalid-argument", e.getMessage());
            }
        }
    }

    List<Route> routes() {
        List<Route> all = new ArrayList<>();
        all.add(new AdminRoute("GET", "/v1/admin/rollouts", Set.of("auditor"), (r, actor) -> ApiResponse.ok(status(
                r.queryParameter("tier").map(TierName::of), r.queryParameter("kernel").map(KernelId::checkRelease),
                registry.now()))));
        for (String action : ACTIONS) {
            all.add(new AdminRoute("POST", "/v1/admin/rollouts/" + action, Set.of("operator"),
                    (r, actor) -> ApiResponse.ok(change(action, r.bodyAs(Change.class), actor))));
        }
        all.add(new AdminRoute("PUT", "/v1/admin/machines/{id}/tags", Set.of("operator"), (r, actor) -> {
            MachineId id = MachineId.of(r.pathParameter("id").orElseThrow());
            List<String> tags = r.bodyAs(Tags.class).tags();
            if (tags == null) {
                throw ApiException.badRequest("invalid-argument", "tags is required (a list; empty removes every tag)");
            }
            tags.forEach(Machine::checkTag);
            Machine before = machines.find(id).orElseThrow(() -> ApiException.notFound("No machine " + id));
            Machine after = machines.enroll(new Machine(id, before.tier(), Set.copyOf(tags), before.enrolledAt()));
            audit.append(actor, "machine.tags", id.value(), json(new java.util.TreeSet<>(before.tags())),
                    json(new java.util.TreeSet<>(after.tags())));
            return ApiResponse.ok(Map.of("id", id.value(), "tier", after.tier().value(), "tags",
                    new java.util.TreeSet<>(after.tags())));
        }));
        return all;
    }

    /** Status of every rollout, optionally of one tier or kernel release. */
    Map<String, Object> status(Optional<TierName> onlyTier, Optional<String> onlyKernel, Instant now) throws StoreException,
            ApiException {
        List<Tier> tierList = tiers.tiers();
        if (onlyTier.isPresent() && tierList.stream().noneMatch(t -> t.name().equals(onlyTier.get()))) {
            throw ApiException.notFound("No tier " + onlyTier.get());
        }
        Map<TierName, Map<String, Integer>> heldByTier = new HashMap<>();
        for (RolloutEngine.Held h : engine.held().values()) {
            heldByTier.computeIfAbsent(h.tier(), t -> new TreeMap<>()).merge(h.reason(), 1, Integer::sum);
        }
        List<Map<String, Object>> rows = new ArrayList<>();
        List<Map<String, Object>> tierRows = new ArrayList<>();
        for (Tier t : tierList) {
            if (onlyTier.isPresent() && !onlyTier.get().equals(t.name())) {
                continue;
            }
            Map<String, Object> tierRow = new LinkedHashMap<>();
            tierRow.put("tier", t.name().value());
            tierRow.put("policies", engine.chain().stream().filter(e -> e.appliesTo(t.name())).map(e -> e.name()).toList());
            tierRow.put("held", heldByTier.getOrDefault(t.name(), Map.of()));
            tierRows.add(tierRow);
            Map<String, List<HealthCount>> byKernel = new HashMap<>();
            Set<RolloutKey> shown = new java.util.HashSet<>();
            for (PatchRelease p : catalog.findAvailableTo(t.name())) {
                if (onlyKernel.isPresent() && !onlyKernel.get().equals(p.kernel().release())) {
                    continue;
                }
                RolloutKey key = new RolloutKey(p.kernel(), p.version(), t.name());
                shown.add(key);
                rows.add(row(p, key, registry.find(key), byKernel, now));
            }
            for (RolloutRecord rec : registry.all()) { // halted or paused rollouts of releases no longer available
                RolloutKey key = RolloutRegistry.key(rec);
                if (!rec.tier().equals(t.name()) || shown.contains(key) || rec.state().equals("active")
                        || onlyKernel.isPresent() && !onlyKernel.get().equals(rec.kernel().release())) {
                    continue;
                }
                Optional<PatchRelease> p = catalog.find(rec.kernel(), rec.version());
                if (p.isPresent()) {
                    rows.add(row(p.get(), key, Optional.of(rec), byKernel, now));
                }
            }
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("rollouts", rows);
        out.put("tiers", tierRows);
        out.put("time", now.toString());
        return out;
    }

    private Map<String, Object> row(PatchRelease p, RolloutKey key, Optional<RolloutRecord> stored,
            Map<String, List<HealthCount>> byKernel, Instant now) throws StoreException {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("kernel", p.kernel().release());
        m.put("architecture", p.kernel().architecture());
        m.put("build", p.kernel().build());
        m.put("version", p.version());
        m.put("tier", key.tier().value());
        if (stored.isEmpty()) {
            m.put("state", "not-started");
            m.put("cause", "");
        } else {
            RolloutRecord rec = stored.get();
            ReleaseRollout view = registry.view(key, rec);
            m.put("state", rec.state());
            m.put("cause", rec.cause());
            m.put("revert", rec.revert());
            m.put("availableSince", rec.availableSince().toString());
            m.put("startedAt", rec.startedAt().map(Instant::toString).orElse(null));
            m.put("approvedAt", rec.approvedAt().map(Instant::toString).orElse(null));
            m.put("advancedSteps", rec.advancedSteps());
            m.put("health", health(view.health()));
            m.put("healthLastHour", health(view.healthSince(now.minus(Duration.ofHours(1)))));
            m.put("policies", engine.describe(p, key.tier(), view, now));
        }
        String cacheKey = key.tier().value() + " " + p.kernel().release();
        List<HealthCount> counts = byKernel.get(cacheKey);
        if (counts == null) {
            counts = machines.patchHealth(MachineFilter.ALL.withTier(key.tier()).withKernelRelease(p.kernel().release()));
            byKernel.put(cacheKey, counts);
        }
        Map<String, Long> states = new TreeMap<>();
        long onKernel = 0;
        for (HealthCount c : counts) {
            onKernel += c.machines();
            if (c.patchVersion() == p.version()) {
                states.merge(c.state().wireName(), c.machines(), Long::sum);
            }
        }
        m.put("machinesOnKernel", onKernel);
        m.put("machinesRunningIt", states);
        // The real exposure, next to what the wave policy says it should be: the tier's machines on
        // this kernel whose last check-in was offered this release (inside its wave and every other
        // policy, or running it), from the decisions the store keeps per machine.
        long exposed = machines.count(MachineFilter.ALL.withTier(key.tier()).withKernelRelease(p.kernel().release())
                .withOffered(p.version()));
        Map<String, Object> exposure = new LinkedHashMap<>();
        exposure.put("machines", exposed);
        exposure.put("percent", onKernel == 0 ? 0.0 : Math.round(exposed * 1000.0 / onKernel) / 10.0);
        m.put("exposure", exposure);
        return m;
    }

    private static Map<String, Object> health(FleetHealth h) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("offered", h.offered());
        m.put("applied", h.applied());
        m.put("applyFailed", h.applyFailed());
        m.put("crashed", h.crashed());
        m.put("checkFailed", h.checkFailed());
        return m;
    }

    Map<String, Object> change(String action, Change body, String actor) throws ApiException, StoreException {
        if (body.tier() == null || body.tier().isBlank()) {
            throw ApiException.badRequest("invalid-argument", "tier is required");
        }
        TierName tier = TierName.of(body.tier());
        tiers.find(tier).orElseThrow(() -> ApiException.notFound("No tier " + tier));
        PatchRelease release = resolve(body);
        String reason = body.reason() == null || body.reason().isBlank() ? "" : ": " + body.reason().strip();
        if (reason.length() > 300) {
            throw ApiException.badRequest("invalid-argument", "reason must be at most 300 characters");
        }
        RolloutKey key = new RolloutKey(release.kernel(), release.version(), tier);
        RolloutRecord before = registry.record(key, registry.now());
        Instant now = registry.now();
        RolloutRecord after = switch (action) {
            case "pause" -> {
                if (before.state().equals("halted")) {
                    throw new ApiException(409, "conflict", "The rollout is halted (" + before.cause() + "); resume it first");
                }
                yield before.withState("paused", "paused by " + actor + reason, false, now);
            }
            case "resume" -> before.withState("active", "", false, now);
            case "abort" -> before.withState("halted", "aborted by " + actor + reason, Boolean.TRUE.equals(body.revert()), now);
            case "advance" -> before.withAdvancedSteps(before.advancedSteps() + 1, now);
            case "approve" -> before.approvedAt().isPresent() ? before : before.withApprovedAt(now);
            default -> throw ApiException.notFound("No rollout action " + action);
        };
        boolean changed = !after.equals(before);
        if (changed) {
            RolloutRecord wanted = after;
            after = registry.change(key, current -> wanted);
            if (action.equals("resume")) {
                registry.health().reset(key); // the gate counts afresh from the resume on
            }
            audit.append(actor, "rollout." + action, key.toString(), json(summary(before)), json(summary(after)));
            LOG.info("Rollout {} {} by {}{}", key, action, actor, reason);
        }
        Map<String, Object> out = new LinkedHashMap<>(summary(after));
        out.put("changed", changed);
        return out;
    }

    private static Map<String, Object> summary(RolloutRecord r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("kernel", r.kernel().release());
        m.put("architecture", r.kernel().architecture());
        m.put("version", r.version());
        m.put("tier", r.tier().value());
        m.put("state", r.state());
        m.put("cause", r.cause());
        m.put("revert", r.revert());
        m.put("approvedAt", r.approvedAt().map(Instant::toString).orElse(null));
        m.put("advancedSteps", r.advancedSteps());
        return m;
    }

    /** The one release a name means; 404 when none, 409 when several builds match. */
    private PatchRelease resolve(Change body) throws ApiException, StoreException {
        if (body.kernel() == null || body.version() == null) {
            throw ApiException.badRequest("invalid-argument", "kernel and version are required");
        }
        KernelId.checkRelease(body.kernel());
        List<PatchRelease> matches = new ArrayList<>();
        for (PatchRelease c : catalog.findByRelease(body.kernel())) {
            if (c.version() == body.version()
                    && (body.architecture() == null || c.kernel().architecture().equals(body.architecture()))
                    && (body.build() == null || c.kernel().build().equals(body.build()))) {
                matches.add(c);
            }
        }
        if (matches.isEmpty()) {
            throw ApiException.notFound("No patch version " + body.version() + " for kernel " + body.kernel());
        }
        if (matches.size() > 1) {
            throw new ApiException(409, "ambiguous", "Kernel " + body.kernel() + " version " + body.version()
                    + " exists for several architectures or builds; name the architecture and build");
        }
        return matches.get(0);
    }

    private static String json(Object o) {
        try {
            return JSON.writeValueAsString(o);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            return String.valueOf(o);
        }
    }
}
