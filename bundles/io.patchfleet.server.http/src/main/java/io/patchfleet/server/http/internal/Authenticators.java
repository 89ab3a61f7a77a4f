package io.patchfleet.server.http.internal;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import io.patchfleet.server.api.ApiException;
import io.patchfleet.server.api.ApiRequest;
import io.patchfleet.server.api.Authenticator;
import io.patchfleet.server.api.Principal;
import io.patchfleet.server.api.Route;
import io.patchfleet.server.api.Scope;

/**
 * The authenticators the router knows, per scope, as an immutable list swapped on change.
 * Closed by default: a scope without an authenticator, a missing header, an unrecognized
 * credential, or a principal of another scope is 401; a principal without the route's role 403.
 */
final class Authenticators {

    private record Entry(Authenticator authenticator, int ranking, long serviceId) {}

    private volatile List<Entry> entries = List.of();

    synchronized void add(Authenticator authenticator, int ranking, long serviceId) {
        List<Entry> copy = new ArrayList<>(entries);
        copy.add(new Entry(authenticator, ranking, serviceId));
        copy.sort(Comparator.comparingInt(Entry::ranking).reversed().thenComparingLong(Entry::serviceId));
        entries = List.copyOf(copy);
    }

    synchronized void remove(Authenticator authenticator) {
        List<Entry> copy = new ArrayList<>(entries);
        copy.removeIf(e -> e.authenticator() == authenticator); // by identity
        entries = List.copyOf(copy);
    }

    Principal authenticate(Route route, ApiRequest request, String authorization) throws ApiException {
        Scope scope = route.scope();
        String needed = scope.name().toLowerCase();
        if (authorization == null || authorization.isBlank()) {
            throw new ApiException(401, "unauthorized", "This route needs " + needed + " credentials (Authorization header)");
        }
        boolean anyForScope = false;
        for (Entry e : entries) {
            if (e.authenticator().scope() != scope) {
                continue;
            }
            anyForScope = true;
            Optional<Principal> principal = e.authenticator().authenticate(authorization, request);
            if (principal.isPresent()) {
                Principal p = principal.get();
                if (p.scope() != scope) {
                    // An authenticator must never let a credential of one scope into another.
                    throw new ApiException(401, "unauthorized", "These credentials are not valid for " + needed + " routes");
                }
                Set<String> roles = route.roles();
                if (!roles.isEmpty() && roles.stream().noneMatch(p.roles()::contains)) {
                    throw new ApiException(403, "forbidden", "This route needs the role " + String.join(" or ", roles));
                }
                return p;
            }
        }
        throw new ApiException(401, "unauthorized", anyForScope
                ? "The credentials are not valid for " + needed + " routes"
                : "No " + needed + " credentials are accepted by this server");
    }
}
