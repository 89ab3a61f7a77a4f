package io.patchfleet.server.admin.internal;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;

import io.patchfleet.model.TierName;
import io.patchfleet.server.api.ApiException;
import io.patchfleet.server.api.ApiResponse;
import io.patchfleet.server.api.Route;
import io.patchfleet.store.api.AuditLog;
import io.patchfleet.store.api.IssuedSyncToken;
import io.patchfleet.store.api.SyncToken;
import io.patchfleet.store.api.SyncTokenStore;

/**
 * Admin routes for sync tokens, the credentials downstream servers sync with:
 * {@code GET /v1/admin/sync-tokens} (auditor), {@code POST /v1/admin/sync-tokens} and
 * {@code POST /v1/admin/sync-tokens/{id}/revoke} (operator). A component of its own beside
 * {@link AdminApi}, so that the sync token store is optional for the rest of the admin API.
 */
@Component(immediate = true, service = {})
public final class SyncTokenApi {
    public record CreateSyncToken(String name, String tier, String expiresIn) {}

    static final Duration DEFAULT_LIFETIME = Duration.ofDays(365);
    static final Duration MAX_LIFETIME = Duration.ofDays(3650);

    private final List<ServiceRegistration<Route>> registrations = new ArrayList<>();

    @Activate
    public SyncTokenApi(BundleContext context, @Reference SyncTokenStore tokens, @Reference AuditLog auditLog) {
        for (Route r : routes(tokens, new Audit(auditLog), Clock.systemUTC())) {
            registrations.add(context.registerService(Route.class, r, null));
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
    }

    static List<AdminRoute> routes(SyncTokenStore tokens, Audit audit, Clock clock) {
        return List.of(
                AdminRoute.of("GET", "/v1/admin/sync-tokens", Roles.AUDITOR, (r, p) -> {
                    Instant now = clock.instant();
                    return ApiResponse.ok(Map.of("tokens", tokens.tokens().stream().map(t -> view(t, now)).toList()));
                }),
                AdminRoute.of("POST", "/v1/admin/sync-tokens", Roles.OPERATOR, (r, p) -> {
                    CreateSyncToken body = r.bodyAs(CreateSyncToken.class);
                    String name = SyncToken.checkName(Params.required(body.name(), "name"));
                    TierName tier = TierName.of(Params.required(body.tier(), "tier"));
                    Instant now = clock.instant();
                    Duration life = body.expiresIn() == null ? DEFAULT_LIFETIME : Params.duration(body.expiresIn(), "expiresIn");
                    if (life.isNegative() || life.isZero() || life.compareTo(MAX_LIFETIME) > 0) {
                        throw ApiException.badRequest("invalid-argument", "expiresIn must be positive and at most 3650d");
                    }
                    IssuedSyncToken issued = tokens.create(name, tier, now.plus(life), p.name());
                    Map<String, Object> view = view(issued.token(), now);
                    audit.record(p.name(), "sync-token.create", issued.token().id(), null, view);
                    Map<String, Object> out = new LinkedHashMap<>(view);
                    out.put("secret", issued.secret());
                    return ApiResponse.json(201, out);
                }),
                AdminRoute.of("POST", "/v1/admin/sync-tokens/{id}/revoke", Roles.OPERATOR, (r, p) -> {
                    String id = Params.path(r, "id");
                    Instant now = clock.instant();
                    SyncToken before = tokens.find(id).orElseThrow(() -> ApiException.notFound("No sync token "
                            + FleetRoutes.printable(id)));
                    boolean changed = tokens.revoke(id);
                    SyncToken after = tokens.find(id).orElse(before);
                    if (changed) {
                        audit.record(p.name(), "sync-token.revoke", id, view(before, now), view(after, now));
                    }
                    Map<String, Object> out = new LinkedHashMap<>(view(after, now));
                    out.put("changed", changed);
                    return ApiResponse.ok(out);
                }));
    }

    static Map<String, Object> view(SyncToken t, Instant now) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", t.id());
        m.put("name", t.name());
        m.put("tier", t.tier().value());
        m.put("createdBy", t.createdBy());
        m.put("createdAt", t.createdAt().toString());
        m.put("expiresAt", t.expiresAt().toString());
        m.put("revoked", t.revoked());
        m.put("usable", t.usableAt(now));
        m.put("lastUsedAt", t.lastUsedAt() == null ? null : t.lastUsedAt().toString());
        return m;
    }
}
