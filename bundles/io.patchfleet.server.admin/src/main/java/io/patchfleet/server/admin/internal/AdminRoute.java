package io.patchfleet.server.admin.internal;

import java.util.Objects;
import java.util.Set;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.patchfleet.server.api.ApiException;
import io.patchfleet.server.api.ApiRequest;
import io.patchfleet.server.api.ApiResponse;
import io.patchfleet.server.api.Principal;
import io.patchfleet.server.api.Route;
import io.patchfleet.server.api.Scope;
import io.patchfleet.store.api.StoreException;

/**
 * One admin endpoint: method, path, scope, the least role it needs, and its handler. Store
 * failures become API errors here, in one place: not found 404, conflict 409, unavailable 503;
 * invalid arguments (the model's validation) 400.
 */
record AdminRoute(String method, String path, Scope scope, Set<String> roles, Handler handler) implements Route {
    private static final Logger LOG = LoggerFactory.getLogger(AdminRoute.class);

    @FunctionalInterface
    interface Handler {
        ApiResponse handle(ApiRequest request, Principal principal) throws ApiException, StoreException;
    }

    AdminRoute {
        Objects.requireNonNull(method, "method");
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(scope, "scope");
        roles = Set.copyOf(roles);
        Objects.requireNonNull(handler, "handler");
    }

    static AdminRoute of(String method, String path, String role, Handler handler) {
        return new AdminRoute(method, path, Scope.ADMIN, role == null ? Set.of() : Set.of(role), handler);
    }

    @Override
    public ApiResponse handle(ApiRequest request) throws ApiException {
        try {
            return handler.handle(request, request.principal().orElse(null));
        } catch (StoreException e) {
            throw switch (e.reason()) {
                case NOT_FOUND -> ApiException.notFound(capitalized(e.getMessage()));
                case CONFLICT -> new ApiException(409, "conflict", capitalized(e.getMessage()));
                case UNAVAILABLE -> {
                    LOG.error("{} {}: storage unavailable", method, path, e);
                    yield new ApiException(503, "unavailable", "The server's storage is unavailable; try again");
                }
                case REJECTED -> new ApiException(403, "rejected", "Refused");
                case LIMIT -> new ApiException(413, "limit", capitalized(e.getMessage()));
                default -> {
                    LOG.error("{} {}: storage failure", method, path, e);
                    yield new ApiException(500, "server-error", "The server failed to answer; see its log");
                }
            };
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest("invalid-argument", capitalized(e.getMessage()));
        }
    }

    private static String capitalized(String message) {
        if (message == null || message.isEmpty()) {
            return "Invalid request";
        }
        return Character.toUpperCase(message.charAt(0)) + message.substring(1);
    }

    @Override
    public String toString() {
        return method + " " + path + " " + roles;
    }
}
