package io.patchfleet.server.admin.internal;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.patchfleet.server.api.ApiException;
import io.patchfleet.server.api.ApiResponse;
import io.patchfleet.store.api.StoreException;
import io.patchfleet.store.api.User;
import io.patchfleet.store.api.UserStore;

/** Users: list, create, set role, reset password, delete. Admin only. */
final class UserRoutes {
    public record CreateUser(String name, String role, String password) {}

    public record SetRole(String role) {}

    public record SetPassword(String password) {}

    private final UserStore users;
    private final AdminAccess access;
    private final Audit audit;
    private final java.nio.file.Path initialPasswordFile;

    UserRoutes(UserStore users, AdminAccess access, Audit audit, java.nio.file.Path initialPasswordFile) {
        this.users = users;
        this.access = access;
        this.audit = audit;
        this.initialPasswordFile = initialPasswordFile;
    }

    List<AdminRoute> routes() {
        return List.of(
                AdminRoute.of("GET", "/v1/admin/users", Roles.ADMIN,
                        (r, p) -> ApiResponse.ok(Map.of("users", users.list().stream().map(Views::user).toList()))),
                AdminRoute.of("POST", "/v1/admin/users", Roles.ADMIN, (r, p) -> {
                    CreateUser body = r.bodyAs(CreateUser.class);
                    String name = User.checkName(Params.required(body.name(), "name"));
                    String role = role(Params.required(body.role(), "role"));
                    boolean generated = body.password() == null;
                    String password = generated ? access.passwords().randomPassword() : Passwords.checkNew(body.password());
                    User created = users.create(name, role, access.passwords().hash(password));
                    audit.record(p.name(), "user.create", name, null, Views.user(created));
                    Map<String, Object> out = new LinkedHashMap<>(Views.user(created));
                    if (generated) {
                        out.put("password", password);
                    }
                    return ApiResponse.json(201, out);
                }),
                AdminRoute.of("PUT", "/v1/admin/users/{name}/role", Roles.ADMIN, (r, p) -> {
                    String name = Params.path(r, "name");
                    String role = role(Params.required(r.bodyAs(SetRole.class).role(), "role"));
                    User before = find(name);
                    User after = users.setRole(name, role);
                    if (!before.role().equals(after.role())) {
                        access.endSessionsOf(name);
                        audit.record(p.name(), "user.set-role", name, Views.user(before), Views.user(after));
                    }
                    return ApiResponse.ok(Views.user(after));
                }),
                AdminRoute.of("POST", "/v1/admin/users/{name}/password", Roles.ADMIN, (r, p) -> {
                    String name = Params.path(r, "name");
                    SetPassword body = r.body().length == 0 ? new SetPassword(null) : r.bodyAs(SetPassword.class);
                    boolean generated = body.password() == null;
                    String password = generated ? access.passwords().randomPassword() : Passwords.checkNew(body.password());
                    User before = find(name);
                    User after = users.setPasswordHash(name, access.passwords().hash(password));
                    access.endSessionsOf(name);
                    if ("admin".equals(name)) {
                        deleteInitialPasswordFile();
                    }
                    audit.record(p.name(), "user.reset-password", name, Views.user(before), Views.user(after));
                    Map<String, Object> out = new LinkedHashMap<>(Views.user(after));
                    if (generated) {
                        out.put("password", password);
                    }
                    return ApiResponse.ok(out);
                }),
                AdminRoute.of("DELETE", "/v1/admin/users/{name}", Roles.ADMIN, (r, p) -> {
                    String name = Params.path(r, "name");
                    User deleted = users.delete(name);
                    access.endSessionsOf(name);
                    audit.record(p.name(), "user.delete", name, Views.user(deleted), null);
                    return ApiResponse.empty(204);
                }));
    }

    private User find(String name) throws StoreException {
        return users.find(name).orElseThrow(() -> new StoreException(StoreException.Reason.NOT_FOUND, "no user " + name));
    }

    private static String role(String role) throws ApiException {
        if (!Roles.known(role)) {
            throw ApiException.badRequest("invalid-argument", "Unknown role \"" + role.replaceAll("[^a-z]", "?")
                    + "\"; roles are " + String.join(", ", Roles.ALL));
        }
        return role;
    }

    /** The initial password stops working once admin's password is reset: its file goes too. */
    private void deleteInitialPasswordFile() {
        try {
            java.nio.file.Files.deleteIfExists(initialPasswordFile);
        } catch (java.io.IOException e) {
            org.slf4j.LoggerFactory.getLogger(UserRoutes.class).warn("Cannot delete {}: {}", initialPasswordFile, e.getMessage());
        }
    }
}
