package io.patchfleet.server.machines.internal;

import java.util.Optional;
import java.util.Set;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import io.patchfleet.model.MachineId;
import io.patchfleet.server.api.ApiException;
import io.patchfleet.server.api.ApiRequest;
import io.patchfleet.server.api.Authenticator;
import io.patchfleet.server.api.Principal;
import io.patchfleet.server.api.Scope;
import io.patchfleet.store.api.EnrollmentStore;
import io.patchfleet.store.api.StoreException;

/**
 * Machine credentials ({@code Authorization: Bearer <credential>} issued at enrollment) for
 * {@link Scope#MACHINE} routes. The store keeps only a hash of each credential; re-enrollment
 * replaces it, so the old one stops working at once.
 */
@Component
public class MachineAuthenticator implements Authenticator {
    private static final String BEARER = "Bearer ";

    private final EnrollmentStore enrollment;
    private final MachineMetrics metrics;

    @Activate
    public MachineAuthenticator(@Reference EnrollmentStore enrollment, @Reference MachineMetrics metrics) {
        this.enrollment = enrollment;
        this.metrics = metrics;
    }

    @Override
    public Scope scope() {
        return Scope.MACHINE;
    }

    @Override
    public Optional<Principal> authenticate(String authorization, ApiRequest request) throws ApiException {
        if (!authorization.startsWith(BEARER) || authorization.length() > BEARER.length() + 256) {
            return Optional.empty();
        }
        try {
            long start = System.nanoTime();
            Optional<MachineId> machine = enrollment.authenticate(authorization.substring(BEARER.length()).trim());
            metrics.store("authenticate", start);
            return machine.map(id -> new Principal(id.value(), Scope.MACHINE, Set.of()));
        } catch (StoreException e) {
            throw new ApiException(503, "unavailable", "The server cannot check credentials right now; retry later");
        }
    }
}
