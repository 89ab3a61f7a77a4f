package io.patchfleet.server.admin.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Clock;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;

import io.patchfleet.server.api.Scope;

/** The route table: every route is an admin route with a declared least role, except login. */
class AdminRoutesTest {

    @Test
    void everyRouteIsAdminScopedUnderV1AdminWithARoleAndNoDuplicates() {
        MutableClock clock = new MutableClock(AdminAccessTest.T0);
        MemoryUserStore users = new MemoryUserStore(clock);
        AdminAccess access = new AdminAccess(users, clock, new Passwords(4), new AdminAccess.Policy(
                java.time.Duration.ofHours(1), 5, java.time.Duration.ofMinutes(1), java.time.Duration.ofMinutes(1), 0));
        List<AdminRoute> routes = AdminApi.routes(access, users, null, null, null, null, null, null, null, Path.of("x"), Clock.systemUTC());
        Set<String> seen = new HashSet<>();
        for (AdminRoute r : routes) {
            assertTrue(seen.add(r.method() + " " + r.path()), "duplicate " + r);
            assertTrue(r.path().startsWith("/v1/admin/"), r.toString());
            if (r.path().equals("/v1/admin/login")) {
                assertEquals(Scope.PUBLIC, r.scope());
                continue;
            }
            assertEquals(Scope.ADMIN, r.scope(), r.toString());
            boolean anyRole = r.path().equals("/v1/admin/logout") || r.path().equals("/v1/admin/session");
            assertEquals(anyRole, r.roles().isEmpty(), r.toString());
            if (r.path().startsWith("/v1/admin/users")) {
                assertEquals(Set.of("admin"), r.roles(), r.toString());
            } else if (!r.method().equals("GET") && !anyRole) {
                assertEquals(Set.of("operator"), r.roles(), "changes need operator: " + r);
            } else if (!anyRole) {
                assertEquals(Set.of("auditor"), r.roles(), "reads need auditor: " + r);
            }
        }
        assertEquals(29, routes.size(), "routes: " + routes);
    }
}
