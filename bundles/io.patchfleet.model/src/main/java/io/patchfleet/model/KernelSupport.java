package io.patchfleet.model;

/** Whether patches are published for a kernel. */
public enum KernelSupport {
    /** Patches are published for this kernel. */
    SUPPORTED("supported"),
    /** Still patched for now, but the machine should boot a newer kernel soon. */
    KERNEL_UPGRADE_REQUIRED("kernel-upgrade-required"),
    /** No more patches will be published for this kernel. */
    KERNEL_END_OF_LIFE("kernel-end-of-life"),
    /** Patches are never published for this kernel (release, flavour or architecture). */
    UNSUPPORTED("unsupported"),
    /** Not known yet, e.g. before the first successful check. */
    UNKNOWN("unknown");

    private final String wireName;

    KernelSupport(String wireName) {
        this.wireName = wireName;
    }

    /** The name on the wire, e.g. {@code "kernel-end-of-life"}. */
    public String wireName() {
        return wireName;
    }

    /**
     * The constant with this wire name.
     *
     * @throws IllegalArgumentException if no constant has it (no silent fallback)
     */
    public static KernelSupport fromWire(String wireName) {
        return Wire.fromWire(KernelSupport.class, KernelSupport::wireName, wireName);
    }
}
