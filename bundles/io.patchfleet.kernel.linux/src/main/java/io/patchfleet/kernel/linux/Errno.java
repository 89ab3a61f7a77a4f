package io.patchfleet.kernel.linux;

/**
 * The Linux errno values that {@code finit_module} and {@code delete_module} return and that
 * {@link LinuxApplier} tells apart. The numbers are the generic Linux ones, the same on x86_64
 * and aarch64.
 */
public final class Errno {
    /** Not permitted: no CAP_SYS_MODULE, {@code kernel.modules_disabled=1}, or lockdown. */
    public static final int EPERM = 1;
    /** No such module (delete), or a symbol the module needs is missing (load). */
    public static final int ENOENT = 2;
    /** I/O error. */
    public static final int EIO = 5;
    /** Not a valid module for this kernel: ELF format, vermagic or modversions mismatch. */
    public static final int ENOEXEC = 8;
    /** Bad file descriptor. */
    public static final int EBADF = 9;
    /** Try again: a delete while the module is in use, or the module is still coming up. */
    public static final int EAGAIN = 11;
    /** Out of memory. */
    public static final int ENOMEM = 12;
    /** Access denied to the file (an LSM or a noexec mount). */
    public static final int EACCES = 13;
    /** Busy: another livepatch transition is running. */
    public static final int EBUSY = 16;
    /** A module of that name is already loaded. */
    public static final int EEXIST = 17;
    /** Invalid argument: malformed module, or a livepatch incompatible with those loaded. */
    public static final int EINVAL = 22;
    /** The system call does not exist in this kernel. */
    public static final int ENOSYS = 38;
    /** Malformed signature. */
    public static final int EBADMSG = 74;
    /** The signing key is not known to the kernel. */
    public static final int ENOKEY = 126;
    /** The signature was rejected, or the module is unsigned while signatures are enforced. */
    public static final int EKEYREJECTED = 129;

    private Errno() {}

    /** The symbolic name of an errno, such as {@code EPERM}; {@code errno N} for others. */
    public static String name(int errno) {
        return switch (errno) {
            case EPERM -> "EPERM";
            case ENOENT -> "ENOENT";
            case EIO -> "EIO";
            case ENOEXEC -> "ENOEXEC";
            case EBADF -> "EBADF";
            case EAGAIN -> "EAGAIN";
            case ENOMEM -> "ENOMEM";
            case EACCES -> "EACCES";
            case EBUSY -> "EBUSY";
            case EEXIST -> "EEXIST";
            case EINVAL -> "EINVAL";
            case ENOSYS -> "ENOSYS";
            case EBADMSG -> "EBADMSG";
            case ENOKEY -> "ENOKEY";
            case EKEYREJECTED -> "EKEYREJECTED";
            default -> "errno " + errno;
        };
    }
}
