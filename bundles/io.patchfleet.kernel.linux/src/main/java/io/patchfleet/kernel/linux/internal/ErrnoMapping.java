package io.patchfleet.kernel.linux.internal;

import static io.patchfleet.kernel.api.KernelException.Reason.BUSY;
import static io.patchfleet.kernel.api.KernelException.Reason.IO;
import static io.patchfleet.kernel.api.KernelException.Reason.LOAD_REFUSED;
import static io.patchfleet.kernel.api.KernelException.Reason.NOT_FOUND;
import static io.patchfleet.kernel.api.KernelException.Reason.NOT_PERMITTED;
import static io.patchfleet.kernel.api.KernelException.Reason.NOT_SUPPORTED;

import io.patchfleet.kernel.api.KernelException;
import io.patchfleet.kernel.api.Preflight;
import io.patchfleet.kernel.linux.Errno;

/** What an errno from {@code finit_module} or {@code delete_module} means, in words. */
public final class ErrnoMapping {
    private ErrnoMapping() {}

    /** Whether a load that failed with {@code errno} may succeed when tried again shortly. */
    public static boolean retryableLoad(int errno) {
        return errno == Errno.EBUSY || errno == Errno.EAGAIN;
    }

    /**
     * The failure of {@code finit_module}.
     *
     * @param sigEnforced whether {@code module.sig_enforce} is on, to explain signature errors
     * @param lockdown the lockdown mode, to explain EPERM
     */
    public static KernelException loadFailure(int errno, String module, boolean sigEnforced, Preflight.Lockdown lockdown) {
        String e = " (" + Errno.name(errno) + ")";
        String prefix = "the kernel refused to load " + module + ": ";
        return switch (errno) {
            case Errno.EPERM -> new KernelException(NOT_PERMITTED, prefix + (lockdown == Preflight.Lockdown.INTEGRITY
                    || lockdown == Preflight.Lockdown.CONFIDENTIALITY
                    ? "kernel lockdown (" + lockdown.name().toLowerCase() + ") allows only modules signed by a trusted key"
                    : "not permitted: the client needs CAP_SYS_MODULE (root), and kernel.modules_disabled must be 0") + e);
            case Errno.EACCES -> new KernelException(NOT_PERMITTED, prefix
                    + "access denied to the module file (a security module or a noexec mount)" + e);
            case Errno.EKEYREJECTED -> new KernelException(LOAD_REFUSED, prefix
                    + (sigEnforced ? "module signatures are enforced and the module is unsigned or its signature was rejected"
                            : "its signature was rejected") + e);
            case Errno.ENOKEY -> new KernelException(LOAD_REFUSED, prefix
                    + "it is signed with a key the kernel does not trust (enroll the key, e.g. with mokutil)" + e);
            case Errno.EBADMSG -> new KernelException(LOAD_REFUSED, prefix + "its signature is malformed" + e);
            case Errno.ENOEXEC -> new KernelException(LOAD_REFUSED, prefix
                    + "not a valid module for this kernel (ELF format, vermagic or symbol versions differ)" + e);
            case Errno.EINVAL -> new KernelException(LOAD_REFUSED, prefix
                    + "invalid module, or a livepatch incompatible with those already loaded (see the kernel log)" + e);
            case Errno.ENOENT -> new KernelException(LOAD_REFUSED, prefix
                    + "it needs a symbol this kernel does not have (built for another kernel?)" + e);
            case Errno.EEXIST -> new KernelException(LOAD_REFUSED, prefix
                    + "a module of that name is already loaded; disable and unload it first" + e);
            case Errno.EBUSY, Errno.EAGAIN -> new KernelException(BUSY, prefix
                    + "the kernel stayed busy (another livepatch transition is running); try again later" + e);
            case Errno.ENOMEM -> new KernelException(LOAD_REFUSED, prefix + "out of memory" + e);
            case Errno.ENOSYS -> new KernelException(NOT_SUPPORTED, prefix + "this kernel has no module loading" + e);
            default -> new KernelException(LOAD_REFUSED, prefix + "finit_module failed" + e);
        };
    }

    /** The failure of {@code delete_module}. */
    public static KernelException unloadFailure(int errno, String module) {
        String e = " (" + Errno.name(errno) + ")";
        return switch (errno) {
            case Errno.ENOENT -> new KernelException(NOT_FOUND, "module " + module + " is not loaded" + e);
            case Errno.EAGAIN, Errno.EBUSY -> new KernelException(BUSY, "module " + module
                    + " is in use: a livepatch must be disabled and its transition finished before it can be unloaded" + e);
            case Errno.EPERM -> new KernelException(NOT_PERMITTED, "not permitted to unload " + module
                    + ": the client needs CAP_SYS_MODULE (root)" + e);
            case Errno.ENOSYS -> new KernelException(NOT_SUPPORTED, "this kernel cannot unload modules" + e);
            default -> new KernelException(IO, "delete_module(" + module + ") failed" + e);
        };
    }
}
