package io.patchfleet.server.admin.internal;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import io.patchfleet.server.api.ApiException;
import io.patchfleet.server.api.ApiResponse;
import io.patchfleet.server.api.Scope;

/** {@code POST /v1/admin/login} (public), {@code POST /v1/admin/logout}, {@code GET /v1/admin/session}. */
final class SessionRoutes {
    /** The body of a login. */
    public record LoginBody(String user, String password) {}

    private final AdminAccess access;

    SessionRoutes(AdminAccess access) {
        this.access = access;
    }

    List<AdminRoute> routes() {
        return List.of(
                new AdminRoute("POST", "/v1/admin/login", Scope.PUBLIC, Set.of(), (r, p) -> {
                    LoginBody body = r.bodyAs(LoginBody.class);
                    String user = Params.required(body.user(), "user");
                    String password = Params.required(body.password(), "password");
                    if (user.length() > 256 || password.length() > 1024) {
                        throw ApiException.badRequest("invalid-argument", "user or password too long");
                    }
                    try {
                        AdminAccess.Login login = access.login(user, password, r.remoteAddress());
                        Map<String, Object> out = new LinkedHashMap<>();
                        out.put("token", login.token());
                        out.put("user", login.user());
                        out.put("role", login.role());
                        out.put("expiresAt", Views.time(login.expiresAt()));
                        return ApiResponse.ok(out);
                    } catch (AdminAccess.RetryAfterException e) {
                        // ApiException carries no headers: the 429 with Retry-After is written here.
                        Map<String, Object> error = new LinkedHashMap<>();
                        error.put("status", 429);
                        error.put("code", e.code());
                        error.put("message", e.getMessage());
                        error.put("retryAfterSeconds", e.seconds);
                        return ApiResponse.json(429, Map.of("error", error)).withHeader("Retry-After", Long.toString(e.seconds));
                    }
                }),
                AdminRoute.of("POST", "/v1/admin/logout", null, (r, p) -> {
                    r.header("Authorization").flatMap(AdminAccess::bearer).ifPresent(access::logout);
                    return ApiResponse.empty(204);
                }),
                AdminRoute.of("GET", "/v1/admin/session", null, (r, p) -> {
                    String token = r.header("Authorization").flatMap(AdminAccess::bearer).orElseThrow();
                    Sessions.Session s = access.session(token)
                            .orElseThrow(() -> new ApiException(401, "unauthorized", "The session ended"));
                    Map<String, Object> out = new LinkedHashMap<>();
                    out.put("user", s.user());
                    out.put("role", s.role());
                    out.put("roles", Roles.ALL.stream().filter(p.roles()::contains).toList());
                    out.put("expiresAt", Views.time(s.expiresAt()));
                    return ApiResponse.ok(out);
                }));
    }
}
