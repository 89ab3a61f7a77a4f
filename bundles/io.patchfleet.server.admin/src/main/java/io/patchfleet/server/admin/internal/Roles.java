package io.patchfleet.server.admin.internal;

import java.util.List;
import java.util.Set;

/**
 * The admin roles and what each implies: {@code admin} ⊇ {@code operator} ⊇ {@code auditor}.
 * A principal carries its role and every role it implies, so a route names the least role it
 * needs ({@code auditor} for reads, {@code operator} for rollout changes, {@code admin} for users).
 */
final class Roles {
    static final String ADMIN = "admin";
    static final String OPERATOR = "operator";
    static final String AUDITOR = "auditor";

    /** Most powerful first. */
    static final List<String> ALL = List.of(ADMIN, OPERATOR, AUDITOR);

    private Roles() {}

    static boolean known(String role) {
        return role != null && ALL.contains(role);
    }

    /**
     * The role with every role it implies.
     *
     * @throws IllegalArgumentException for an unknown role (a stored role this code does not know
     *     grants nothing rather than something)
     */
    static Set<String> implied(String role) {
        return switch (role == null ? "" : role) {
            case ADMIN -> Set.of(ADMIN, OPERATOR, AUDITOR);
            case OPERATOR -> Set.of(OPERATOR, AUDITOR);
            case AUDITOR -> Set.of(AUDITOR);
            default -> throw new IllegalArgumentException("unknown role \"" + role + "\"; roles are " + String.join(", ", ALL));
        };
    }
}
