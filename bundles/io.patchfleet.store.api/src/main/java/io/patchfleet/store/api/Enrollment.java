package io.patchfleet.store.api;

import io.patchfleet.model.Machine;
import java.util.Objects;

/**
 * The outcome of {@link EnrollmentStore#enroll}: the machine and its new credential.
 *
 * @param machine the enrolled machine; never {@code null}
 * @param credential the machine's new secret credential, returned once; the store keeps only its
 *     SHA-256; never {@code null}
 * @param reenrolled whether the machine id was already enrolled (its previous credential works
 *     until this one is first used)
 */
public record Enrollment(Machine machine, String credential, boolean reenrolled) {
    public Enrollment {
        Objects.requireNonNull(machine, "machine");
        Objects.requireNonNull(credential, "credential");
    }

    @Override
    public String toString() {
        return "Enrollment[" + machine + ", credential=<hidden>, reenrolled=" + reenrolled + "]";
    }
}
