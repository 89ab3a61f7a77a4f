package io.patchfleet.server.admin.internal;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import io.patchfleet.model.KernelId;
import io.patchfleet.model.PatchRelease;
import io.patchfleet.model.Tier;
import io.patchfleet.model.TierName;
import io.patchfleet.server.api.ApiException;
import io.patchfleet.server.api.ApiResponse;
import io.patchfleet.store.api.PatchCatalog;
import io.patchfleet.store.api.StoreException;
import io.patchfleet.store.api.TierStore;
import io.patchfleet.store.api.UpstreamWithdrawal;
import io.patchfleet.store.api.UpstreamWithdrawals;

/**
 * Patches: list by kernel release or tier, promote one, promote all of a tier, revoke.
 *
 * <p>A patch is named as an admin names it: kernel release ({@code uname -r}) and version, with
 * the architecture and build only when the release alone is ambiguous (409 says which exist).
 */
final class PatchRoutes {
    public record Promote(String kernel, String architecture, String build, Long version, String tier) {}

    public record PromoteAll(String from, String to) {}

    public record Revoke(String kernel, String architecture, String build, Long version) {}

    public record Keep(String kernel, String architecture, String build, Long version, String reason) {}

    private final PatchCatalog catalog;
    private final TierStore tiers;
    private final Audit audit;
    private final UpstreamWithdrawals withdrawals;

    PatchRoutes(PatchCatalog catalog, TierStore tiers, Audit audit, UpstreamWithdrawals withdrawals) {
        this.withdrawals = withdrawals;
        this.catalog = catalog;
        this.tiers = tiers;
        this.audit = audit;
    }

    List<AdminRoute> routes() {
        return List.of(
                AdminRoute.of("GET", "/v1/admin/patches", Roles.AUDITOR, (r, p) -> {
                    Optional<String> kernel = Params.query(r, "kernel");
                    Optional<String> tier = Params.query(r, "tier");
                    if (kernel.isPresent() && tier.isPresent()) {
                        throw ApiException.badRequest("invalid-parameter", "list by kernel or by tier, not both");
                    }
                    List<PatchRelease> releases;
                    if (kernel.isPresent()) {
                        releases = catalog.findByRelease(kernel.get());
                    } else {
                        TierName t = tier.isPresent() ? TierName.of(tier.get()) : tiers.tiers().get(0).name();
                        releases = catalog.findAvailableTo(t);
                    }
                    int offset = Params.offset(r);
                    int limit = Params.limit(r);
                    List<Map<String, Object>> rows = new ArrayList<>();
                    Map<String, UpstreamWithdrawal> flags = flags();
                    for (PatchRelease release : releases.subList(Math.min(offset, releases.size()),
                            Math.min(releases.size(), offset + limit))) {
                        rows.add(Views.withdrawal(view(release), release, Optional.ofNullable(flags.get(key(release.kernel(),
                                release.version())))));
                    }
                    return ApiResponse.ok(Views.page("patches", rows, offset, limit, (long) releases.size()));
                }),
                AdminRoute.of("POST", "/v1/admin/patches/promote", Roles.OPERATOR, (r, p) -> {
                    Promote body = r.bodyAs(Promote.class);
                    TierName tier = TierName.of(Params.required(body.tier(), "tier"));
                    PatchRelease release = resolve(body.kernel(), body.architecture(), body.build(), body.version());
                    tiers.find(tier).orElseThrow(() -> ApiException.notFound("No tier " + tier));
                    Map<String, Object> before = view(release);
                    boolean changed = catalog.promote(release.kernel(), release.version(), tier);
                    Map<String, Object> after = view(catalog.find(release.kernel(), release.version()).orElse(release));
                    if (changed) {
                        audit.record(p.name(), "patch.promote", target(release), before, after);
                    }
                    Map<String, Object> out = new LinkedHashMap<>(after);
                    out.put("changed", changed);
                    return ApiResponse.ok(out);
                }),
                AdminRoute.of("POST", "/v1/admin/patches/promote-all", Roles.OPERATOR, (r, p) -> {
                    PromoteAll body = r.bodyAs(PromoteAll.class);
                    TierName from = TierName.of(Params.required(body.from(), "from"));
                    TierName to = TierName.of(Params.required(body.to(), "to"));
                    int fromPos = position(from);
                    int toPos = position(to);
                    if (toPos <= fromPos) {
                        throw ApiException.badRequest("invalid-argument", "promote-all goes to a later tier: " + to
                                + " is not after " + from);
                    }
                    int changed = catalog.promoteAll(from, to);
                    if (changed > 0) {
                        audit.record(p.name(), "patch.promote-all", from + "->" + to, null, Map.of("from", from.value(),
                                "to", to.value(), "promoted", changed));
                    }
                    return ApiResponse.ok(Map.of("from", from.value(), "to", to.value(), "promoted", changed));
                }),
                AdminRoute.of("POST", "/v1/admin/patches/revoke", Roles.OPERATOR, (r, p) -> {
                    Revoke body = r.bodyAs(Revoke.class);
                    PatchRelease release = resolve(body.kernel(), body.architecture(), body.build(), body.version());
                    Map<String, Object> before = view(release);
                    boolean changed = catalog.revoke(release.kernel(), release.version());
                    Map<String, Object> after = view(catalog.find(release.kernel(), release.version()).orElse(release));
                    if (changed) {
                        audit.record(p.name(), "patch.revoke", target(release), before, after);
                    }
                    Map<String, Object> out = new LinkedHashMap<>(after);
                    out.put("changed", changed);
                    return ApiResponse.ok(out);
                }),
                AdminRoute.of("GET", "/v1/admin/patches/show", Roles.AUDITOR, (r, p) -> {
                    Optional<String> version = Params.query(r, "version");
                    long v;
                    try {
                        v = Long.parseLong(version.orElseThrow(() -> ApiException.badRequest("invalid-parameter", "version is required")));
                    } catch (NumberFormatException e) {
                        throw ApiException.badRequest("invalid-parameter", "version must be a number");
                    }
                    PatchRelease release = resolve(Params.query(r, "kernel").orElse(null), Params.query(r, "architecture").orElse(null),
                            Params.query(r, "build").orElse(null), v);
                    return ApiResponse.ok(fullView(release));
                }),
                AdminRoute.of("POST", "/v1/admin/patches/keep", Roles.OPERATOR, (r, p) -> {
                    Keep body = r.bodyAs(Keep.class);
                    PatchRelease release = resolve(body.kernel(), body.architecture(), body.build(), body.version());
                    Map<String, Object> before = fullView(release);
                    boolean changed;
                    try {
                        changed = withdrawals.keep(release.kernel(), release.version(), p.name(), body.reason() == null ? "" : body.reason());
                    } catch (IllegalArgumentException e) {
                        throw ApiException.badRequest("invalid-argument", String.valueOf(e.getMessage()));
                    }
                    Map<String, Object> after = fullView(release);
                    if (changed) {
                        audit.record(p.name(), "patch.keep", target(release), before, after);
                    }
                    Map<String, Object> out = new LinkedHashMap<>(after);
                    out.put("changed", changed);
                    return ApiResponse.ok(out);
                }),
                AdminRoute.of("POST", "/v1/admin/patches/unkeep", Roles.OPERATOR, (r, p) -> {
                    Revoke body = r.bodyAs(Revoke.class);
                    PatchRelease release = resolve(body.kernel(), body.architecture(), body.build(), body.version());
                    Map<String, Object> before = fullView(release);
                    boolean changed = withdrawals.unkeep(release.kernel(), release.version());
                    Map<String, Object> after = fullView(release);
                    if (changed) {
                        audit.record(p.name(), "patch.unkeep", target(release), before, after);
                    }
                    Map<String, Object> out = new LinkedHashMap<>(after);
                    out.put("changed", changed);
                    return ApiResponse.ok(out);
                }));
    }

    /** A release with its upstream-withdrawal state, as list, show, keep and unkeep answer. */
    private Map<String, Object> fullView(PatchRelease release) throws StoreException {
        PatchRelease now = catalog.find(release.kernel(), release.version()).orElse(release);
        return Views.withdrawal(view(now), now, withdrawals == null ? Optional.empty() : withdrawals.find(now.kernel(), now.version()));
    }

    private Map<String, UpstreamWithdrawal> flags() throws StoreException {
        Map<String, UpstreamWithdrawal> out = new java.util.HashMap<>();
        if (withdrawals != null) {
            for (UpstreamWithdrawal w : withdrawals.flagged()) {
                out.put(key(w.kernel(), w.version()), w);
            }
        }
        return out;
    }

    private static String key(KernelId k, long version) {
        return k.release() + "\n" + k.architecture() + "\n" + k.flavour() + "\n" + k.build() + "\n" + version;
    }

    private int position(TierName name) throws StoreException, ApiException {
        for (Tier t : tiers.tiers()) {
            if (t.name().equals(name)) {
                return t.position();
            }
        }
        throw ApiException.notFound("No tier " + name);
    }

    private Map<String, Object> view(PatchRelease release) throws StoreException {
        return Views.patch(release, catalog.promotedTo(release.kernel(), release.version()).map(TierName::value).orElse(null));
    }

    private static String target(PatchRelease r) {
        return r.kernel() + "#" + r.version();
    }

    /** The one release a name means; 404 when none, 409 when several builds match. */
    PatchRelease resolve(String kernel, String architecture, String build, Long version) throws ApiException, StoreException {
        KernelId.checkRelease(Params.required(kernel, "kernel"));
        long v = Params.required(version, "version");
        List<PatchRelease> matches = new ArrayList<>();
        for (PatchRelease candidate : catalog.findByRelease(kernel)) {
            if (candidate.version() == v
                    && (architecture == null || candidate.kernel().architecture().equals(architecture))
                    && (build == null || candidate.kernel().build().equals(build))) {
                matches.add(candidate);
            }
        }
        if (matches.isEmpty()) {
            throw ApiException.notFound("No patch version " + v + " for kernel " + kernel
                    + (architecture == null ? "" : " on " + FleetRoutes.printable(architecture)));
        }
        if (matches.size() > 1) {
            throw new ApiException(409, "ambiguous", "Kernel " + kernel + " version " + v + " exists for "
                    + matches.stream().map(m -> m.kernel().architecture() + (m.kernel().build().isEmpty() ? "" : " build \""
                            + m.kernel().build() + "\"")).toList() + "; name the architecture and build");
        }
        return matches.get(0);
    }
}
