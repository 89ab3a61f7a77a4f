package io.patchfleet.server.api;

import java.util.Objects;
import java.util.Set;

/**
 * Who made a request, as an {@link Authenticator} established it.
 *
 * @param name  the machine id, admin user name or sync token name; never null or blank
 * @param scope the scope the credential belongs to; a principal never serves another scope
 * @param roles what the principal may do within its scope, with implied roles already
 *     included (an {@code admin} also holds {@code operator} and {@code auditor}); never null
 */
public record Principal(String name, Scope scope, Set<String> roles) {

    public Principal {
        Objects.requireNonNull(name, "name");
        if (name.isBlank()) {
            throw new IllegalArgumentException("principal name is blank");
        }
        Objects.requireNonNull(scope, "scope");
        if (scope == Scope.PUBLIC) {
            throw new IllegalArgumentException("a principal has a credential scope, not PUBLIC");
        }
        roles = Set.copyOf(Objects.requireNonNull(roles, "roles"));
    }
}
