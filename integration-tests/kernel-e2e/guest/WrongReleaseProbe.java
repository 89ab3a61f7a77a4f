import io.patchfleet.kernel.api.ApplyOptions;
import io.patchfleet.kernel.api.KernelException;
import io.patchfleet.kernel.linux.KernelCalls;
import io.patchfleet.kernel.linux.LinuxApplier;
import io.patchfleet.kernel.linux.internal.JnaKernelCalls;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Run by guest/steps.sh inside the test guest, on the real kernel, with the client profile's own
 * bundle jars on the class path: the product's {@link LinuxApplier} over the real system calls
 * (JNA) is asked to apply a livepatch module whose vermagic names another kernel release. The
 * publisher files a module under the release its vermagic names, so no server ever offers such
 * a module to this machine; this probe shows the last line of defence on the machine itself.
 *
 * <p>Prints {@code PF-E2E probe wrong-release refused finit_module-calls=0 reason=... message=...}
 * when the applier refuses it before any {@code finit_module}; then what the kernel itself answers
 * to that module ({@code kernel-errno=...}): on Debian's kernel it loads it (0), which shows the
 * applier's check is the one that matters; the probe then disables and unloads it again.
 */
public final class WrongReleaseProbe {
    public static void main(String[] args) throws Exception {
        Path module = Path.of(args[0]);
        String name = args[1];
        JnaKernelCalls real = new JnaKernelCalls();
        AtomicInteger finitCalls = new AtomicInteger();
        KernelCalls counting = new KernelCalls() {
            @Override
            public Uname uname() throws IOException {
                return real.uname();
            }

            @Override
            public int finitModule(Path file, String params, int flags) throws IOException {
                finitCalls.incrementAndGet();
                return real.finitModule(file, params, flags);
            }

            @Override
            public int deleteModule(String n, int flags) throws IOException {
                return real.deleteModule(n, flags);
            }
        };
        LinuxApplier applier = new LinuxApplier(Path.of("/"), counting);
        System.out.println("PF-E2E probe running kernel " + applier.runningKernel().release());
        try {
            applier.apply(module, name, new ApplyOptions(Duration.ofSeconds(60), true, true));
            System.out.println("PF-E2E probe wrong-release APPLIED finit_module-calls=" + finitCalls.get());
            System.exit(1);
        } catch (KernelException e) {
            System.out.println("PF-E2E probe wrong-release refused finit_module-calls=" + finitCalls.get() + " reason="
                    + e.reason() + " message=" + e.getMessage());
        }
        // What the kernel itself does with that module, straight through the system call: with
        // CONFIG_MODVERSIONS it compares vermagic only past the release and checks symbol CRCs,
        // so a module of a neighbouring ABI may well load. The applier's check is what stops it.
        int errno = real.finitModule(module, "", 0);
        System.out.println("PF-E2E probe wrong-release kernel-errno=" + errno);
        if (errno == 0) {
            try {
                applier.disable(name, Duration.ofSeconds(120));
                applier.unload(name);
                System.out.println("PF-E2E probe wrong-release kernel-loaded-it; disabled and unloaded again");
            } catch (KernelException e) {
                // steps.sh keeps only PF-E2E lines of the probe's output: say why here.
                System.out.println("PF-E2E probe wrong-release kernel-loaded-it; cleanup failed reason=" + e.reason()
                        + " message=" + e.getMessage());
            }
        }
        System.out.println("PF-E2E probe done");
    }
}
