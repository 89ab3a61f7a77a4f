package io.patchfleet.kernel.api;

import java.util.List;
import java.util.Objects;

/**
 * Whether this machine can load livepatch modules, and why not.
 *
 * @param livepatchSupported the kernel has livepatch ({@code /sys/kernel/livepatch} exists)
 * @param moduleSignaturesEnforced unsigned or wrongly signed modules are refused
 *     ({@code module.sig_enforce}, Secure Boot): modules must be signed by a key the kernel trusts
 * @param lockdown the kernel lockdown mode
 * @param mayLoadModules the process may load modules (CAP_SYS_MODULE,
 *     {@code kernel.modules_disabled} is 0)
 * @param problems human readable reasons why {@link #canApply()} is false; empty when it is true;
 *     copied, unmodifiable
 */
public record Preflight(boolean livepatchSupported, boolean moduleSignaturesEnforced, Lockdown lockdown,
        boolean mayLoadModules, List<String> problems) {
    public Preflight {
        Objects.requireNonNull(lockdown, "lockdown");
        Objects.requireNonNull(problems, "problems");
        problems = List.copyOf(problems);
        if (problems.isEmpty() != (livepatchSupported && mayLoadModules)) {
            throw new IllegalArgumentException("problems must be listed exactly when modules cannot be applied");
        }
    }

    /**
     * Whether applying can work at all. Signature enforcement and lockdown do not make it
     * false: signed modules still load, and the kernel's verdict comes as
     * {@link KernelException.Reason#LOAD_REFUSED}.
     */
    public boolean canApply() {
        return livepatchSupported && mayLoadModules;
    }

    /** Kernel lockdown ({@code /sys/kernel/security/lockdown}). */
    public enum Lockdown {
        NONE,
        INTEGRITY,
        CONFIDENTIALITY,
        /** The file is absent or unreadable. */
        UNKNOWN
    }
}
