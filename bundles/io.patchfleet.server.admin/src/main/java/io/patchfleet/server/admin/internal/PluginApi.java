package io.patchfleet.server.admin.internal;

import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;

import io.patchfleet.platform.admin.PluginChangeListener;
import io.patchfleet.platform.admin.PluginException;
import io.patchfleet.platform.admin.PluginManager;
import io.patchfleet.server.api.ApiException;
import io.patchfleet.server.api.ApiRequest;
import io.patchfleet.server.api.ApiResponse;
import io.patchfleet.server.api.Route;
import io.patchfleet.store.api.AuditLog;

/**
 * Runtime management over the admin API: bundles ({@code /v1/admin/plugins}) and configuration
 * ({@code /v1/admin/config/{pid}}), through the platform's {@link PluginManager}. A component of
 * its own, apart from {@link AdminApi}, so that the admin API works on a node without runtime
 * management and the other way round.
 *
 * <p>Every change the manager makes — from these routes, the deploy folder or a recovery at
 * start — reaches the audit log through the {@link PluginChangeListener} registered here, so
 * nothing is audited twice and nothing is missed.
 */
@Component(immediate = true, service = {})
public final class PluginApi {
    private final List<ServiceRegistration<?>> registrations = new ArrayList<>();

    @Activate
    public PluginApi(BundleContext context, @Reference PluginManager plugins, @Reference AuditLog auditLog) {
        Audit audit = new Audit(auditLog);
        for (Route route : routes(plugins)) {
            registrations.add(context.registerService(Route.class, route, null));
        }
        PluginChangeListener listener = change -> audit.record(change.actor(), change.action(), change.target(),
                change.before(), change.after());
        registrations.add(context.registerService(PluginChangeListener.class, listener, null));
    }

    @Deactivate
    void deactivate() {
        for (ServiceRegistration<?> r : registrations) {
            try {
                r.unregister();
            } catch (IllegalStateException alreadyGone) {
                // the bundle is stopping
            }
        }
        registrations.clear();
    }

    /** An uploaded plugin: the jar in base64 and its detached signature ({@code .sig} text), null when unsigned. */
    public record Upload(String jar, String signature) {}

    /** Configuration values to merge, as text; each is converted and checked by the PID's metatype. */
    public record ConfigValues(Map<String, String> values) {}

    @FunctionalInterface
    interface PluginCall {
        Object call(ApiRequest r, String actor) throws PluginException, ApiException;
    }

    static List<AdminRoute> routes(PluginManager plugins) {
        return List.of(
                route("GET", "/v1/admin/plugins", Roles.AUDITOR, 200, (r, actor) -> {
                    Map<String, Object> out = new LinkedHashMap<>();
                    out.put("plugins", plugins.list());
                    out.put("allowUnsigned", plugins.allowsUnsigned());
                    return out;
                }),
                route("GET", "/v1/admin/plugins/{bundle}", Roles.AUDITOR, 200, (r, actor) -> plugins.get(Params.path(r, "bundle"))),
                route("POST", "/v1/admin/plugins", Roles.ADMIN, 201, (r, actor) -> {
                    Upload u = r.bodyAs(Upload.class);
                    return plugins.install(jar(u), signature(u), actor);
                }),
                route("PUT", "/v1/admin/plugins/{bundle}", Roles.ADMIN, 200, (r, actor) -> {
                    Upload u = r.bodyAs(Upload.class);
                    return plugins.update(Params.path(r, "bundle"), jar(u), signature(u), actor);
                }),
                route("POST", "/v1/admin/plugins/{bundle}/start", Roles.ADMIN, 200, (r, actor) -> plugins.start(Params.path(r, "bundle"), actor)),
                route("POST", "/v1/admin/plugins/{bundle}/stop", Roles.ADMIN, 200, (r, actor) -> plugins.stop(Params.path(r, "bundle"), actor)),
                route("DELETE", "/v1/admin/plugins/{bundle}", Roles.ADMIN, 200, (r, actor) -> plugins.uninstall(Params.path(r, "bundle"), actor)),
                route("GET", "/v1/admin/config/{pid}", Roles.ADMIN, 200, (r, actor) -> plugins.config(Params.path(r, "pid"))),
                route("PUT", "/v1/admin/config/{pid}", Roles.ADMIN, 200, (r, actor) -> {
                    ConfigValues v = r.bodyAs(ConfigValues.class);
                    if (v.values() == null || v.values().isEmpty()) {
                        throw ApiException.badRequest("invalid-argument", "values: give at least one property to set");
                    }
                    return plugins.setConfig(Params.path(r, "pid"), v.values(), actor);
                }),
                route("DELETE", "/v1/admin/config/{pid}", Roles.ADMIN, 200, (r, actor) -> plugins.deleteConfig(Params.path(r, "pid"), actor)));
    }

    private static AdminRoute route(String method, String path, String role, int status, PluginCall call) {
        return AdminRoute.of(method, path, role, (r, p) -> {
            try {
                return ApiResponse.json(status, call.call(r, p.name()));
            } catch (PluginException e) {
                return error(e);
            }
        });
    }

    /** The error shape of every route, plus the problems (field and reason) the change ran into. */
    static ApiResponse error(PluginException e) {
        int status = switch (e.code()) {
            case "not-found" -> 404;
            case "conflict", "protected" -> 409;
            case "invalid-jar", "invalid-config", "no-metatype" -> 400;
            case "timeout" -> 503;
            default -> 422; // unsigned, bad-signature, untrusted-key, rolled-back, failed
        };
        Map<String, Object> error = new LinkedHashMap<>();
        error.put("status", status);
        error.put("code", e.code());
        error.put("message", e.getMessage());
        if (!e.problems().isEmpty()) {
            error.put("problems", e.problems());
        }
        return ApiResponse.json(status, Map.of("error", error));
    }

    private static byte[] jar(Upload u) throws ApiException {
        if (u.jar() == null || u.jar().isBlank()) {
            throw ApiException.badRequest("invalid-argument", "jar: the plugin jar, base64-encoded, is required");
        }
        try {
            return Base64.getDecoder().decode(u.jar().strip());
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest("invalid-argument", "jar: not base64");
        }
    }

    private static byte[] signature(Upload u) {
        return u.signature() == null || u.signature().isBlank() ? null : u.signature().getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }
}
