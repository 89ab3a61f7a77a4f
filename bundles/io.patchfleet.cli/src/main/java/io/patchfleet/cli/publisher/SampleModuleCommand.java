package io.patchfleet.cli.publisher;

import io.patchfleet.cli.ExitCodes;
import io.patchfleet.kernel.simulated.SimulatedModules;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code patchfleet publisher sample-module}: writes a livepatch module file for the simulated
 * kernel ({@link SimulatedModules}), so the demo and a trial run can publish a patch without a
 * kernel build. The file is a minimal ELF object with a {@code .modinfo} section and no code: a
 * real kernel refuses it; only the simulated kernel accepts it.
 */
@Command(name = "sample-module", mixinStandardHelpOptions = true,
        description = {"Write a sample livepatch module for the SIMULATED kernel (io.patchfleet.kernel.simulated):",
            "an ELF object with .modinfo (name, vermagic = RELEASE, livepatch=Y, replace=Y) and no code.",
            "For demos and trials only: a real kernel refuses it; only the simulated kernel loads it."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:written", "2:bad usage", "4:failed (e.g. the file cannot be written)"},
        footer = {"", "Example:",
            "  patchfleet publisher sample-module --out lkp_sample_1.ko --kernel 6.1.0-56-amd64",
            "  patchfleet publisher add --repo ./repo lkp_sample_1.ko"})
final class SampleModuleCommand implements Callable<Integer> {
    /** Linux module names: at most 55 characters (MODULE_NAME_LEN 56), letters, digits and '_'. */
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_]{1,55}");
    private static final Pattern RELEASE = Pattern.compile("[A-Za-z0-9._+~-]{1,64}");

    @Spec
    CommandSpec spec;

    @Option(names = "--out", paramLabel = "FILE", required = true, description = "The module file to write (replaced if it exists)")
    Path out;

    @Option(names = "--kernel", paramLabel = "RELEASE", required = true,
            description = "The kernel release (uname -r) the module is built for, e.g. 6.1.0-56-amd64")
    String release;

    @Option(names = "--arch", paramLabel = "ARCH", defaultValue = "x86_64",
            description = "x86_64, aarch64, s390x, ppc64le or riscv64 (default: ${DEFAULT-VALUE})")
    String arch;

    @Option(names = "--name", paramLabel = "NAME", defaultValue = "lkp_sample_1",
            description = "The module (= livepatch) name (default: ${DEFAULT-VALUE})")
    String name;

    @Override
    public Integer call() {
        if (!NAME.matcher(name).matches()) {
            throw new ParameterException(spec.commandLine(), "--name: 1 to 55 letters, digits or '_': " + name);
        }
        if (!RELEASE.matcher(release).matches()) {
            throw new ParameterException(spec.commandLine(), "--kernel: not a kernel release: " + release);
        }
        try {
            SimulatedModules.write(out, name, release, arch);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "--arch: " + e.getMessage());
        } catch (IOException e) {
            spec.commandLine().getErr().println("patchfleet publisher sample-module: I/O error: " + e);
            spec.commandLine().getErr().flush();
            return ExitCodes.FAILED;
        }
        spec.commandLine().getOut().println("wrote " + out + ": livepatch " + name + " for " + release + " " + arch
                + " (simulated kernel only)");
        spec.commandLine().getOut().flush();
        return ExitCodes.OK;
    }
}
