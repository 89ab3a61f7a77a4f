package io.patchfleet.server.admin.internal;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import io.patchfleet.model.MachineId;
import io.patchfleet.model.PatchState;
import io.patchfleet.model.Tier;
import io.patchfleet.model.TierName;
import io.patchfleet.server.api.ApiException;
import io.patchfleet.server.api.ApiRequest;
import io.patchfleet.server.api.ApiResponse;
import io.patchfleet.store.api.EnrollmentStore;
import io.patchfleet.store.api.EnrollmentToken;
import io.patchfleet.store.api.HealthCount;
import io.patchfleet.store.api.IssuedToken;
import io.patchfleet.store.api.MachineFilter;
import io.patchfleet.store.api.MachineStatus;
import io.patchfleet.store.api.MachineStore;
import io.patchfleet.store.api.PatchCatalog;
import io.patchfleet.store.api.StoreException;
import io.patchfleet.store.api.TierStore;

/** Tiers, enrollment tokens, machines and reports. */
final class FleetRoutes {
    public record CreateTier(String name, Integer position) {}

    public record OrderTiers(List<String> order) {}

    public record CreateToken(String tier, String expiresIn, String expiresAt, Integer maxUses, String description) {}

    static final Duration DEFAULT_TOKEN_LIFETIME = Duration.ofDays(1);
    static final Duration MAX_TOKEN_LIFETIME = Duration.ofDays(3650);
    static final int MAX_TOKEN_USES = 1_000_000;

    private final TierStore tiers;
    private final MachineStore machines;
    private final EnrollmentStore enrollment;
    private final PatchCatalog catalog;
    private final Audit audit;
    private final Clock clock;
    private final io.patchfleet.store.api.UpstreamWithdrawals withdrawals;

    FleetRoutes(TierStore tiers, MachineStore machines, EnrollmentStore enrollment, PatchCatalog catalog, Audit audit,
            Clock clock, io.patchfleet.store.api.UpstreamWithdrawals withdrawals) {
        this.withdrawals = withdrawals;
        this.tiers = tiers;
        this.machines = machines;
        this.enrollment = enrollment;
        this.catalog = catalog;
        this.audit = audit;
        this.clock = clock;
    }

    List<AdminRoute> routes() {
        return List.of(
                // ---- tiers
                AdminRoute.of("GET", "/v1/admin/tiers", Roles.AUDITOR, (r, p) -> ApiResponse.ok(Map.of("tiers", tierRows()))),
                AdminRoute.of("POST", "/v1/admin/tiers", Roles.OPERATOR, (r, p) -> {
                    CreateTier body = r.bodyAs(CreateTier.class);
                    TierName name = TierName.of(Params.required(body.name(), "name"));
                    List<Tier> before = tiers.tiers();
                    int position = body.position() == null ? before.size() : body.position();
                    if (position < 0 || position > before.size()) {
                        throw ApiException.badRequest("invalid-argument", "position must be in 0.." + before.size());
                    }
                    List<Tier> after = tiers.create(name, position);
                    audit.record(p.name(), "tier.create", name.value(), names(before), names(after));
                    return ApiResponse.json(201, Map.of("tiers", tierRows()));
                }),
                AdminRoute.of("DELETE", "/v1/admin/tiers/{name}", Roles.OPERATOR, (r, p) -> {
                    TierName name = TierName.of(Params.path(r, "name"));
                    List<Tier> before = tiers.tiers();
                    List<Tier> after = tiers.delete(name);
                    audit.record(p.name(), "tier.delete", name.value(), names(before), names(after));
                    return ApiResponse.ok(Map.of("tiers", tierRows()));
                }),
                AdminRoute.of("PUT", "/v1/admin/tiers", Roles.OPERATOR, (r, p) -> {
                    List<String> order = Params.required(r.bodyAs(OrderTiers.class).order(), "order");
                    List<Tier> before = tiers.tiers();
                    List<String> current = names(before);
                    if (order.size() != current.size() || !new HashSet<>(order).equals(new HashSet<>(current))) {
                        throw ApiException.badRequest("invalid-argument", "order must list every tier exactly once ("
                                + String.join(", ", current) + "); add or delete tiers with POST or DELETE");
                    }
                    List<TierName> next = new ArrayList<>();
                    for (String n : order) {
                        next.add(TierName.of(n));
                    }
                    List<Tier> after = tiers.define(next);
                    audit.record(p.name(), "tier.order", "", current, names(after));
                    return ApiResponse.ok(Map.of("tiers", tierRows()));
                }),
                // ---- enrollment tokens
                AdminRoute.of("GET", "/v1/admin/tokens", Roles.AUDITOR, (r, p) -> {
                    Instant now = clock.instant();
                    return ApiResponse.ok(Map.of("tokens", enrollment.tokens().stream().map(t -> Views.token(t, now)).toList()));
                }),
                AdminRoute.of("POST", "/v1/admin/tokens", Roles.OPERATOR, (r, p) -> {
                    CreateToken body = r.bodyAs(CreateToken.class);
                    TierName tier = TierName.of(Params.required(body.tier(), "tier"));
                    Instant now = clock.instant();
                    Instant expiresAt = expiry(body, now);
                    int maxUses = body.maxUses() == null ? 1 : body.maxUses();
                    if (maxUses < 1 || maxUses > MAX_TOKEN_USES) {
                        throw ApiException.badRequest("invalid-argument", "maxUses must be in 1.." + MAX_TOKEN_USES);
                    }
                    String description = body.description() == null ? "" : body.description();
                    IssuedToken issued = enrollment.createToken(tier, expiresAt, maxUses, description, p.name());
                    Map<String, Object> view = Views.token(issued.token(), now);
                    audit.record(p.name(), "token.create", issued.token().id(), null, view);
                    Map<String, Object> out = new LinkedHashMap<>(view);
                    out.put("secret", issued.secret());
                    return ApiResponse.json(201, out);
                }),
                AdminRoute.of("POST", "/v1/admin/tokens/{id}/revoke", Roles.OPERATOR, (r, p) -> {
                    String id = Params.path(r, "id");
                    Instant now = clock.instant();
                    EnrollmentToken before = enrollment.findToken(id)
                            .orElseThrow(() -> ApiException.notFound("No enrollment token " + printable(id)));
                    boolean changed = enrollment.revokeToken(id);
                    EnrollmentToken after = enrollment.findToken(id).orElse(before);
                    if (changed) {
                        audit.record(p.name(), "token.revoke", id, Views.token(before, now), Views.token(after, now));
                    }
                    Map<String, Object> out = new LinkedHashMap<>(Views.token(after, now));
                    out.put("changed", changed);
                    return ApiResponse.ok(out);
                }),
                // ---- machines
                AdminRoute.of("GET", "/v1/admin/machines", Roles.AUDITOR, (r, p) -> {
                    MachineFilter filter = filter(r);
                    int offset = Params.offset(r);
                    int limit = Params.limit(r);
                    List<MachineStatus> page = machines.query(filter, offset, limit);
                    List<Map<String, Object>> rows = new java.util.ArrayList<>(page.size());
                    for (MachineStatus s : page) {
                        Map<String, Object> row = new LinkedHashMap<>(Views.machine(s));
                        // The index answers this from memory: a page costs no extra queries.
                        row.put("held", machines.lastDecision(s.machine().id()).filter(d -> d.held())
                                .map(d -> d.reason()).orElse(null));
                        rows.add(row);
                    }
                    return ApiResponse.ok(Views.page("machines", rows, offset, limit, machines.count(filter)));
                }),
                AdminRoute.of("GET", "/v1/admin/machines/{id}", Roles.AUDITOR, (r, p) -> {
                    MachineId id = MachineId.of(Params.path(r, "id"));
                    var machine = machines.find(id).orElseThrow(() -> ApiException.notFound("No machine " + id));
                    var last = machines.lastReport(id);
                    Map<String, Object> out = new LinkedHashMap<>(Views.machine(machine, last));
                    out.put("decision", machines.lastDecision(id).map(Views::decision).orElse(null));
                    out.put("lastReport", last.map(Views::report).orElse(null));
                    return ApiResponse.ok(out);
                }),
                AdminRoute.of("DELETE", "/v1/admin/machines/{id}", Roles.OPERATOR, (r, p) -> {
                    MachineId id = MachineId.of(Params.path(r, "id"));
                    var machine = machines.find(id).orElseThrow(() -> ApiException.notFound("No machine " + id));
                    Map<String, Object> before = Views.machine(machine, machines.lastReport(id));
                    if (!machines.remove(id)) {
                        throw ApiException.notFound("No machine " + id);
                    }
                    audit.record(p.name(), "machine.deregister", id.value(), before, null);
                    return ApiResponse.empty(204);
                }),
                // ---- reports
                AdminRoute.of("GET", "/v1/admin/reports/patch-health", Roles.AUDITOR, (r, p) -> {
                    MachineFilter filter = filter(r);
                    List<Map<String, Object>> cells = new ArrayList<>();
                    long total = 0;
                    for (HealthCount h : machines.patchHealth(filter)) {
                        Map<String, Object> cell = new LinkedHashMap<>();
                        cell.put("tier", h.tier().value());
                        cell.put("patchVersion", h.patchVersion());
                        cell.put("state", h.state().wireName());
                        cell.put("machines", h.machines());
                        cells.add(cell);
                        total += h.machines();
                    }
                    Map<String, Object> out = new LinkedHashMap<>();
                    out.put("health", cells);
                    out.put("machines", total);
                    out.put("upstreamWithdrawn", withdrawnEnabled(filter));
                    return ApiResponse.ok(out);
                }));
    }

    /**
     * Patches offered here although the upstream withdrew them ("enabled (!)"), each with how many of
     * the filtered machines last reported running it (same kernel release and patch version).
     */
    private List<Map<String, Object>> withdrawnEnabled(MachineFilter filter) throws StoreException {
        List<Map<String, Object>> out = new ArrayList<>();
        if (withdrawals == null) {
            return out;
        }
        for (io.patchfleet.store.api.UpstreamWithdrawal w : withdrawals.flagged()) {
            if (!w.enabledDespiteWithdrawal()) {
                continue;
            }
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("kernel", w.kernel().release());
            m.put("architecture", w.kernel().architecture());
            m.put("version", w.version());
            m.put("state", w.state());
            m.put("upstreamWithdrawnAt", Views.time(w.withdrawnAt().orElse(null)));
            m.put("upstreamWithdrawnReason", w.withdrawnReason().orElse(null));
            m.put("keptBy", w.keptBy().orElse(null));
            boolean sameKernel = filter.kernelRelease().map(k -> k.equals(w.kernel().release())).orElse(true);
            m.put("machines", sameKernel ? machines.count(filter.withKernelRelease(w.kernel().release())
                    .withPatchVersion(w.version())) : 0);
            out.add(m);
        }
        return out;
    }

    private List<Map<String, Object>> tierRows() throws StoreException {
        List<Map<String, Object>> rows = new ArrayList<>();
        for (Tier t : tiers.tiers()) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("name", t.name().value());
            row.put("position", t.position());
            row.put("machines", machines.count(MachineFilter.ALL.withTier(t.name())));
            row.put("patches", catalog.findAvailableTo(t.name()).size());
            rows.add(row);
        }
        return rows;
    }

    private static List<String> names(List<Tier> list) {
        return list.stream().map(t -> t.name().value()).toList();
    }

    private Instant expiry(CreateToken body, Instant now) throws ApiException {
        if (body.expiresIn() != null && body.expiresAt() != null) {
            throw ApiException.badRequest("invalid-argument", "give expiresIn or expiresAt, not both");
        }
        Instant at;
        if (body.expiresAt() != null) {
            try {
                at = Instant.parse(body.expiresAt());
            } catch (java.time.format.DateTimeParseException e) {
                throw ApiException.badRequest("invalid-argument", "expiresAt must be a time like 2026-03-01T10:00:00Z");
            }
        } else {
            at = now.plus(body.expiresIn() == null ? DEFAULT_TOKEN_LIFETIME : Params.duration(body.expiresIn(), "expiresIn"));
        }
        if (!at.isAfter(now) || at.isAfter(now.plus(MAX_TOKEN_LIFETIME))) {
            throw ApiException.badRequest("invalid-argument", "the token must expire in the future and within 10 years");
        }
        return at;
    }

    /**
     * Machine filters shared by the machine list and patch health: tier, kernel, patch-version,
     * state, seen-after, seen-before, held (true: machines whose last rollout decision was a hold)
     * and held-reason (held, with a reason containing the text, ignoring case).
     */
    MachineFilter filter(ApiRequest r) throws ApiException {
        MachineFilter f = MachineFilter.ALL;
        Instant now = clock.instant();
        Optional<String> tier = Params.query(r, "tier");
        if (tier.isPresent()) {
            f = f.withTier(TierName.of(tier.get()));
        }
        Optional<String> kernel = Params.query(r, "kernel");
        if (kernel.isPresent()) {
            f = f.withKernelRelease(kernel.get());
        }
        var version = Params.number(r, "patch-version");
        if (version.isPresent()) {
            f = f.withPatchVersion(version.getAsLong());
        }
        Optional<String> state = Params.query(r, "state");
        if (state.isPresent()) {
            f = f.withPatchState(PatchState.fromWire(state.get()));
        }
        Optional<Instant> after = Params.instant(r, "seen-after", now);
        if (after.isPresent()) {
            f = f.withSeenAfter(after.get());
        }
        Optional<Instant> before = Params.instant(r, "seen-before", now);
        if (before.isPresent()) {
            f = f.withSeenBefore(before.get());
        }
        Optional<String> heldReason = Params.query(r, "held-reason");
        Optional<String> held = Params.query(r, "held");
        if (held.isPresent() && !held.get().equals("true") && !held.get().equals("false")) {
            throw ApiException.badRequest("invalid-parameter", "held is true or false");
        }
        if (heldReason.isPresent()) {
            if (heldReason.get().length() > 200) {
                throw ApiException.badRequest("invalid-parameter", "held-reason is at most 200 characters");
            }
            f = f.withHeld(heldReason.get());
        } else if (held.filter("true"::equals).isPresent()) {
            f = f.withHeld("");
        }
        return f;
    }

    static String printable(String s) {
        String cut = s.length() > 64 ? s.substring(0, 64) : s;
        return cut.replaceAll("[^A-Za-z0-9._-]", "?");
    }
}
