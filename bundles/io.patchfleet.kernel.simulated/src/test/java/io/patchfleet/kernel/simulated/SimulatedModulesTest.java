package io.patchfleet.kernel.simulated;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.patchfleet.kernel.module.ModuleInfo;
import io.patchfleet.kernel.module.ModuleInfoReader;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SimulatedModulesTest {

    @Test
    void writesAModuleTheReaderUnderstands(@TempDir Path dir) throws Exception {
        Path file = SimulatedModules.write(dir.resolve("patches/lkp_1.ko"), "lkp_1", "6.1.0-56-amd64");
        ModuleInfo info = ModuleInfoReader.read(file);
        assertEquals("lkp_1", info.name().orElseThrow());
        assertEquals("6.1.0-56-amd64", info.kernelRelease().orElseThrow());
        assertEquals("x86_64", info.architecture());
        assertTrue(info.isLivepatch());
        assertEquals("Y", info.field("replace").orElseThrow());
        assertFalse(SimulatedModules.isSigned(Files.readAllBytes(file)));
    }

    @Test
    void flagsVaryTheModule(@TempDir Path dir) throws Exception {
        Path file = SimulatedModules.write(dir.resolve("m.ko"), "ext9", "5.15.0-91-generic", "s390x",
                SimulatedModules.Flag.NOT_LIVEPATCH, SimulatedModules.Flag.SIGNED);
        ModuleInfo info = ModuleInfoReader.read(file);
        assertEquals("s390x", info.architecture());
        assertFalse(info.isLivepatch());
        assertTrue(SimulatedModules.isSigned(Files.readAllBytes(file)));
        Path stacked = SimulatedModules.write(dir.resolve("s.ko"), "lkp_2", "6.1.0-56-amd64", "aarch64", SimulatedModules.Flag.NO_REPLACE);
        assertEquals("N", ModuleInfoReader.read(stacked).field("replace").orElseThrow());
        assertEquals("aarch64", ModuleInfoReader.read(stacked).architecture());
    }
}
