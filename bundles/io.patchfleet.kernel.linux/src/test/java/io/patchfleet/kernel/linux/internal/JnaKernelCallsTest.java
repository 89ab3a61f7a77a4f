package io.patchfleet.kernel.linux.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.patchfleet.kernel.api.KernelException.Reason;
import io.patchfleet.kernel.api.Preflight;
import io.patchfleet.kernel.linux.Errno;
import io.patchfleet.kernel.linux.KernelCalls;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class JnaKernelCallsTest {

    @Test
    void syscallNumbersFollowTheArchitecture() {
        assertEquals(new Syscalls(313, 176), Syscalls.forArch("amd64").orElseThrow());
        assertEquals(new Syscalls(313, 176), Syscalls.forArch("x86_64").orElseThrow());
        assertEquals(new Syscalls(273, 106), Syscalls.forArch("aarch64").orElseThrow());
        assertTrue(Syscalls.forArch("s390x").isEmpty());
    }

    @Test
    void anUnknownArchitectureFailsCleanlyWithoutTouchingJna() {
        JnaKernelCalls calls = new JnaKernelCalls("s390x");
        IOException e = assertThrows(IOException.class, () -> calls.finitModule(Path.of("/nonexistent.ko"), "", 0));
        assertTrue(e.getMessage().contains("s390x"), e.getMessage());
        assertThrows(IOException.class, () -> calls.deleteModule("lkp", KernelCalls.O_NONBLOCK));
    }

    @Test
    void constructingTheCallsDoesNotLoadJna() throws Exception {
        // A class loader that cannot see JNA: JnaKernelCalls must still load and construct.
        ClassLoader parent = JnaKernelCallsTest.class.getClassLoader();
        ClassLoader noJna = new ClassLoader(parent) {
            @Override
            protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
                if (name.startsWith("com.sun.jna.")) {
                    throw new ClassNotFoundException(name);
                }
                if (name.startsWith("io.patchfleet.kernel.linux.internal.Jna")) {
                    synchronized (getClassLoadingLock(name)) {
                        Class<?> c = findLoadedClass(name);
                        if (c == null) {
                            byte[] bytes;
                            try (var in = parent.getResourceAsStream(name.replace('.', '/') + ".class")) {
                                bytes = in.readAllBytes();
                            } catch (IOException e) {
                                throw new ClassNotFoundException(name, e);
                            }
                            c = defineClass(name, bytes, 0, bytes.length);
                        }
                        return c;
                    }
                }
                return super.loadClass(name, resolve);
            }
        };
        Class<?> type = noJna.loadClass(JnaKernelCalls.class.getName());
        KernelCalls calls = (KernelCalls) type.getConstructor().newInstance();
        IOException e = assertThrows(IOException.class, calls::uname);
        assertTrue(e.getMessage().contains("JNA could not load"), e.getMessage());
    }

    @Test
    void utsnameFieldsAreParsed() {
        byte[] buf = new byte[6 * 65];
        String[] fields = {"Linux", "host", "6.1.0-56-amd64", "#1 SMP PREEMPT_DYNAMIC Debian", "x86_64", "(none)"};
        for (int i = 0; i < fields.length; i++) {
            byte[] b = fields[i].getBytes(StandardCharsets.US_ASCII);
            System.arraycopy(b, 0, buf, i * 65, b.length);
        }
        assertEquals(new KernelCalls.Uname("6.1.0-56-amd64", "#1 SMP PREEMPT_DYNAMIC Debian", "x86_64"),
                JnaKernelCalls.parseUtsname(buf));
    }

    @Test
    void loadErrnosMapToReasons() {
        Preflight.Lockdown none = Preflight.Lockdown.NONE;
        assertEquals(Reason.NOT_PERMITTED, ErrnoMapping.loadFailure(Errno.EPERM, "lkp", false, none).reason());
        assertTrue(ErrnoMapping.loadFailure(Errno.EPERM, "lkp", false, Preflight.Lockdown.INTEGRITY).getMessage().contains("lockdown"));
        assertEquals(Reason.LOAD_REFUSED, ErrnoMapping.loadFailure(Errno.EKEYREJECTED, "lkp", true, none).reason());
        assertTrue(ErrnoMapping.loadFailure(Errno.EKEYREJECTED, "lkp", true, none).getMessage().contains("enforced"));
        assertTrue(ErrnoMapping.loadFailure(Errno.ENOKEY, "lkp", true, none).getMessage().contains("ENOKEY"));
        assertEquals(Reason.LOAD_REFUSED, ErrnoMapping.loadFailure(Errno.ENOEXEC, "lkp", false, none).reason());
        assertTrue(ErrnoMapping.loadFailure(Errno.ENOEXEC, "lkp", false, none).getMessage().contains("vermagic"));
        assertEquals(Reason.LOAD_REFUSED, ErrnoMapping.loadFailure(Errno.EINVAL, "lkp", false, none).reason());
        assertEquals(Reason.LOAD_REFUSED, ErrnoMapping.loadFailure(Errno.EEXIST, "lkp", false, none).reason());
        assertEquals(Reason.BUSY, ErrnoMapping.loadFailure(Errno.EBUSY, "lkp", false, none).reason());
        assertEquals(Reason.BUSY, ErrnoMapping.loadFailure(Errno.EAGAIN, "lkp", false, none).reason());
        assertEquals(Reason.NOT_SUPPORTED, ErrnoMapping.loadFailure(Errno.ENOSYS, "lkp", false, none).reason());
        assertTrue(ErrnoMapping.loadFailure(200, "lkp", false, none).getMessage().contains("errno 200"));
        assertTrue(ErrnoMapping.retryableLoad(Errno.EBUSY) && ErrnoMapping.retryableLoad(Errno.EAGAIN));
    }

    @Test
    void unloadErrnosMapToReasons() {
        assertEquals(Reason.BUSY, ErrnoMapping.unloadFailure(Errno.EAGAIN, "lkp").reason());
        assertEquals(Reason.BUSY, ErrnoMapping.unloadFailure(Errno.EBUSY, "lkp").reason());
        assertEquals(Reason.NOT_FOUND, ErrnoMapping.unloadFailure(Errno.ENOENT, "lkp").reason());
        assertEquals(Reason.NOT_PERMITTED, ErrnoMapping.unloadFailure(Errno.EPERM, "lkp").reason());
        assertEquals(Reason.IO, ErrnoMapping.unloadFailure(Errno.EIO, "lkp").reason());
    }
}
