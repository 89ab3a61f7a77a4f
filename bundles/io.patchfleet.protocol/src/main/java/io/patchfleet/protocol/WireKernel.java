package io.patchfleet.protocol;

import io.patchfleet.model.KernelId;

/**
 * A kernel on the wire.
 *
 * @param release {@code uname -r}, such as {@code 6.1.0-56-amd64}
 * @param architecture {@code uname -m}, such as {@code x86_64}
 * @param flavour the distribution's flavour, such as {@code amd64} or {@code generic}
 * @param build {@code uname -v}, empty when unknown
 */
public record WireKernel(String release, String architecture, String flavour, String build) {

    public static WireKernel of(KernelId kernel) {
        return new WireKernel(kernel.release(), kernel.architecture(), kernel.flavour(), kernel.build());
    }

    /** @throws IllegalArgumentException if a field is missing or invalid */
    public KernelId toKernelId() {
        return new KernelId(release, architecture, flavour, build == null ? "" : build);
    }
}
