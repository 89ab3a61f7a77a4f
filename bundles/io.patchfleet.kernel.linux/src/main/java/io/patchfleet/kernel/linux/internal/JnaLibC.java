package io.patchfleet.kernel.linux.internal;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Native;
import java.io.IOException;

/**
 * The only class that touches JNA. It is loaded on the first real kernel call, never at bundle
 * or component activation, so a machine where JNA's native part cannot load still activates the
 * bundle and reports the problem (through {@link JnaKernelCalls}) instead.
 */
final class JnaLibC {
    private static final int O_RDONLY = 0;
    private static final int O_CLOEXEC = 0x80000;

    private JnaLibC() {}

    /** libc functions used; {@code syscall} is variadic. */
    interface LibC extends Library {
        long syscall(long number, Object... args) throws LastErrorException;

        int open(String path, int flags) throws LastErrorException;

        int close(int fd) throws LastErrorException;

        int uname(byte[] buf) throws LastErrorException;
    }

    private static final class Holder {
        static final LibC C = Native.load("c", LibC.class);
    }

    /** {@code uname(2)} into the raw {@code struct utsname} bytes. */
    static byte[] uname() throws IOException {
        byte[] buf = new byte[JnaKernelCalls.UTSNAME_FIELDS * JnaKernelCalls.UTSNAME_LENGTH];
        try {
            Holder.C.uname(buf);
        } catch (LastErrorException e) {
            throw new IOException("uname failed: errno " + e.getErrorCode());
        }
        return buf;
    }

    /** {@code finit_module}; 0 or errno. */
    static int finitModule(long nr, String path, String params, int flags) throws IOException {
        int fd;
        try {
            fd = Holder.C.open(path, O_RDONLY | O_CLOEXEC);
        } catch (LastErrorException e) {
            throw new IOException("cannot open " + path + ": errno " + e.getErrorCode());
        }
        try {
            Holder.C.syscall(nr, fd, params, flags);
            return 0;
        } catch (LastErrorException e) {
            return e.getErrorCode();
        } finally {
            try {
                Holder.C.close(fd);
            } catch (LastErrorException ignored) {
                // nothing to do about a failed close of a read-only descriptor
            }
        }
    }

    /** {@code delete_module}; 0 or errno. */
    static int deleteModule(long nr, String name, int flags) {
        try {
            Holder.C.syscall(nr, name, flags);
            return 0;
        } catch (LastErrorException e) {
            return e.getErrorCode();
        }
    }
}
