package io.patchfleet.protocol;

import java.util.List;

/**
 * {@code POST /v1/enroll}.
 *
 * @param token the enrollment token an admin created for a tier
 * @param machineId the machine's id ({@code /etc/machine-id}), lower-case hex
 * @param kernel the running kernel
 * @param tags labels the operator gave this machine (rollout policies may select on them); may be empty
 */
public record EnrollRequest(String token, String machineId, WireKernel kernel, List<String> tags) {
    public EnrollRequest {
        tags = tags == null ? List.of() : List.copyOf(tags);
    }
}
