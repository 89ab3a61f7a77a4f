package io.patchfleet.cli.publisher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.patchfleet.cli.ExitCodes;
import io.patchfleet.kernel.module.ModuleInfo;
import io.patchfleet.kernel.module.ModuleInfoReader;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code patchfleet publisher sample-module}, then {@code add} of what it wrote. */
class SampleModuleCommandTest {
    @TempDir
    Path dir;
    String out;
    String err;

    int run(String... args) {
        StringWriter o = new StringWriter();
        StringWriter e = new StringWriter();
        CommandLine cl = new CommandLine(new PublisherCommand(Map.<String, String>of()::get));
        cl.setOut(new PrintWriter(o));
        cl.setErr(new PrintWriter(e));
        int code = cl.execute(args);
        out = o.toString();
        err = e.toString();
        return code;
    }

    @Test
    void writesALivepatchForTheReleaseThatThePublisherAccepts() throws Exception {
        Path ko = dir.resolve("lkp_demo_1.ko");
        assertEquals(ExitCodes.OK, run("sample-module", "--out", ko.toString(), "--kernel", "6.1.0-56-amd64",
                "--name", "lkp_demo_1"), err);
        assertTrue(out.contains("simulated kernel only"), out);

        ModuleInfo info = ModuleInfoReader.read(Files.readAllBytes(ko));
        assertEquals("lkp_demo_1", info.name().orElseThrow());
        assertEquals("6.1.0-56-amd64", info.kernelRelease().orElseThrow());
        assertEquals("x86_64", info.architecture());
        assertTrue(info.isLivepatch());

        Path repo = dir.resolve("repo");
        assertEquals(ExitCodes.OK, run("init", "--repo", repo.toString(), "--insecure-plain-keys"), err);
        assertEquals(ExitCodes.OK, run("add", "--repo", repo.toString(), ko.toString()), err);
        assertTrue(Files.isRegularFile(repo.resolve("targets/6.1.0-56-amd64/x86_64/lkp_demo_1-1.ko")), out);
    }

    @Test
    void refusesBadUsage() {
        assertEquals(ExitCodes.USAGE, run("sample-module", "--kernel", "6.1.0-56-amd64"), "--out is required");
        assertEquals(ExitCodes.USAGE, run("sample-module", "--out", dir.resolve("a.ko").toString(), "--kernel", "6.1.0-56-amd64",
                "--name", "no spaces"));
        assertEquals(ExitCodes.USAGE, run("sample-module", "--out", dir.resolve("a.ko").toString(), "--kernel", "6.1.0-56-amd64",
                "--arch", "mips"));
        assertTrue(err.contains("--arch"), err);
        assertTrue(Files.notExists(dir.resolve("a.ko")));
    }
}
