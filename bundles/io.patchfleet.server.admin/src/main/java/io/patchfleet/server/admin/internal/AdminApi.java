package io.patchfleet.server.admin.internal;

import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;

import io.patchfleet.server.api.ApiResponse;
import io.patchfleet.server.api.Route;
import io.patchfleet.store.api.AuditEntry;
import io.patchfleet.store.api.AuditLog;
import io.patchfleet.store.api.DownstreamReports;
import io.patchfleet.store.api.EnrollmentStore;
import io.patchfleet.store.api.MachineStore;
import io.patchfleet.store.api.PatchCatalog;
import io.patchfleet.store.api.TierStore;
import io.patchfleet.store.api.UpstreamWithdrawals;
import io.patchfleet.store.api.UserStore;

/**
 * The admin REST API: registers one {@link Route} service per endpoint while the stores and
 * {@link AdminAccess} are there, and withdraws them together.
 *
 * <p>Why one component registering its routes instead of one component per route: the thirty
 * endpoints share the same six stores, audit and session services; one component keeps them
 * consistent (all routes come and go together) and lets a unit test list the whole table
 * ({@link #routes}) without a framework. Each route is still its own service, so the router's
 * matching, metrics and replacement by service ranking work per route.
 */
@Component(immediate = true, service = {})
public final class AdminApi {
    private final List<ServiceRegistration<Route>> registrations = new ArrayList<>();

    @Activate
    public AdminApi(BundleContext context, @Reference AdminAccess access, @Reference UserStore users,
            @Reference TierStore tiers, @Reference PatchCatalog catalog, @Reference MachineStore machines,
            @Reference EnrollmentStore enrollment, @Reference AuditLog auditLog, @Reference UpstreamWithdrawals withdrawals,
            @Reference DownstreamReports downstreams) {
        String data = context.getProperty(AdminAccess.DATA_PROPERTY);
        Path initialPasswordFile = Path.of(data == null ? "." : data).resolve(AdminAccess.INITIAL_PASSWORD_FILE);
        for (Route route : routes(access, users, tiers, catalog, machines, enrollment, auditLog, withdrawals, downstreams,
                initialPasswordFile, Clock.systemUTC())) {
            registrations.add(context.registerService(Route.class, route, null));
        }
    }

    static List<AdminRoute> routes(AdminAccess access, UserStore users, TierStore tiers, PatchCatalog catalog,
            MachineStore machines, EnrollmentStore enrollment, AuditLog auditLog, UpstreamWithdrawals withdrawals,
            DownstreamReports downstreams, Path initialPasswordFile, Clock clock) {
        Audit audit = new Audit(auditLog);
        List<AdminRoute> all = new ArrayList<>();
        all.addAll(new SessionRoutes(access).routes());
        all.addAll(new UserRoutes(users, access, audit, initialPasswordFile).routes());
        all.addAll(new FleetRoutes(tiers, machines, enrollment, catalog, audit, clock, withdrawals).routes());
        all.addAll(new PatchRoutes(catalog, tiers, audit, withdrawals).routes());
        all.addAll(new DownstreamRoutes(downstreams).routes());
        all.add(AdminRoute.of("GET", "/v1/admin/audit", Roles.AUDITOR, (r, p) -> {
            long after = Params.number(r, "after").orElse(0);
            if (after < 0) {
                throw io.patchfleet.server.api.ApiException.badRequest("invalid-parameter", "after must not be negative");
            }
            int limit = Params.limit(r);
            List<AuditEntry> entries = auditLog.entries(after, limit);
            long next = entries.isEmpty() ? after : entries.get(entries.size() - 1).id();
            return ApiResponse.ok(Map.of("entries", entries.stream().map(Views::audit).toList(), "next", next,
                    "limit", limit));
        }));
        return all;
    }

    @Deactivate
    void deactivate() {
        for (ServiceRegistration<Route> r : registrations) {
            try {
                r.unregister();
            } catch (IllegalStateException alreadyGone) {
                // the bundle is stopping
            }
        }
        registrations.clear();
    }
}
