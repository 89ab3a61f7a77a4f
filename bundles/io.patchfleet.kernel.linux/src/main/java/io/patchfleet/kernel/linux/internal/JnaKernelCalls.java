package io.patchfleet.kernel.linux.internal;

import io.patchfleet.kernel.linux.KernelCalls;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The running kernel's calls through JNA: {@code uname}, and {@code finit_module} and
 * {@code delete_module} through {@code syscall(2)}. JNA loads on the first call (see
 * {@link JnaLibC}); if it cannot, every call fails with an {@link IOException} saying why.
 */
public final class JnaKernelCalls implements KernelCalls {
    static final int UTSNAME_FIELDS = 6;
    /** {@code _UTSNAME_LENGTH} on Linux. */
    static final int UTSNAME_LENGTH = 65;

    private final Optional<Syscalls> syscalls;
    private final String osArch;

    public JnaKernelCalls() {
        this(System.getProperty("os.arch", ""));
    }

    JnaKernelCalls(String osArch) {
        this.osArch = osArch;
        this.syscalls = Syscalls.forArch(osArch);
    }

    @Override
    public Uname uname() throws IOException {
        try {
            return parseUtsname(JnaLibC.uname());
        } catch (LinkageError e) {
            throw unusable(e);
        }
    }

    @Override
    public int finitModule(Path module, String params, int flags) throws IOException {
        Syscalls nr = numbers();
        try {
            return JnaLibC.finitModule(nr.finitModule(), module.toAbsolutePath().toString(), params, flags);
        } catch (LinkageError e) {
            throw unusable(e);
        }
    }

    @Override
    public int deleteModule(String name, int flags) throws IOException {
        Syscalls nr = numbers();
        try {
            return JnaLibC.deleteModule(nr.deleteModule(), name, flags);
        } catch (LinkageError e) {
            throw unusable(e);
        }
    }

    private Syscalls numbers() throws IOException {
        return syscalls.orElseThrow(() -> new IOException("module system calls are not known for architecture " + osArch));
    }

    private static IOException unusable(LinkageError e) {
        return new IOException("native calls unavailable: JNA could not load (" + e + "); check that java.io.tmpdir "
                + "is writable and not mounted noexec, or set jna.tmpdir", e);
    }

    /** {@code struct utsname}: six NUL-terminated fields of 65 bytes (sysname, nodename, release, version, machine, domainname). */
    static Uname parseUtsname(byte[] buf) {
        return new Uname(field(buf, 2), field(buf, 3), field(buf, 4));
    }

    private static String field(byte[] buf, int index) {
        int start = index * UTSNAME_LENGTH;
        int end = start;
        while (end < start + UTSNAME_LENGTH && end < buf.length && buf[end] != 0) {
            end++;
        }
        return new String(buf, start, end - start, StandardCharsets.UTF_8);
    }
}
