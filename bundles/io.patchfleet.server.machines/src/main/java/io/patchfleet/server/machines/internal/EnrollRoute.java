package io.patchfleet.server.machines.internal;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.patchfleet.model.MachineId;
import io.patchfleet.protocol.EnrollRequest;
import io.patchfleet.protocol.EnrollResponse;
import io.patchfleet.server.api.ApiException;
import io.patchfleet.server.api.ApiRequest;
import io.patchfleet.server.api.ApiResponse;
import io.patchfleet.server.api.Route;
import io.patchfleet.server.api.Scope;
import io.patchfleet.store.api.Enrollment;
import io.patchfleet.store.api.EnrollmentStore;
import io.patchfleet.store.api.StoreException;

/**
 * {@code POST /v1/enroll}: a machine presents an enrollment token and gets its credential, the
 * server's directive key and the publisher root the server serves. Enrolling a known machine id
 * again is not an error: it rotates the credential (Canonical's client fails here); the machine's
 * previous credential keeps working until the new one is first used (EnrollmentStore), so a
 * client that refuses this answer is not locked out.
 */
@Component
public class EnrollRoute implements Route {
    private static final Logger LOG = LoggerFactory.getLogger(EnrollRoute.class);

    private final EnrollmentStore enrollment;
    private final DirectiveSigner signer;
    private final PublisherMirror mirror;
    private final MachineApi api;

    @Activate
    public EnrollRoute(@Reference EnrollmentStore enrollment, @Reference DirectiveSigner signer,
            @Reference PublisherMirror mirror, @Reference MachineApi api) {
        this.enrollment = enrollment;
        this.signer = signer;
        this.mirror = mirror;
        this.api = api;
    }

    @Override
    public String method() {
        return "POST";
    }

    @Override
    public String path() {
        return "/v1/enroll";
    }

    @Override
    public Scope scope() {
        return Scope.PUBLIC;
    }

    @Override
    public ApiResponse handle(ApiRequest request) throws ApiException {
        EnrollRequest body = request.bodyAs(EnrollRequest.class);
        if (body.token() == null || body.token().isBlank()) {
            throw ApiException.badRequest("missing-token", "An enrollment token is required");
        }
        MachineId machine;
        try {
            machine = new MachineId(body.machineId() == null ? "" : body.machineId());
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest("invalid-machine-id", e.getMessage());
        }
        Enrollment result;
        try {
            result = enrollment.enroll(body.token(), machine, java.util.Set.copyOf(body.tags()));
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest("invalid-tags", e.getMessage());
        } catch (StoreException e) {
            if (e.reason() == StoreException.Reason.REJECTED) {
                LOG.info("Enrollment of {} refused: {}", machine, e.getMessage());
                throw new ApiException(403, "token-rejected", "The enrollment token is unknown, expired, revoked or used up");
            }
            throw api.unavailable(e);
        }
        LOG.info("{} machine {} in tier {}", result.reenrolled() ? "Re-enrolled" : "Enrolled", machine,
                result.machine().tier().value());
        String root = mirror.current().map(PublisherMirror.State::rootJson).orElse(null);
        return ApiResponse.ok(new EnrollResponse(machine.value(), result.credential(), result.machine().tier().value(),
                signer.publicKeyObject(), root, api.checkInIntervalSeconds()));
    }
}
