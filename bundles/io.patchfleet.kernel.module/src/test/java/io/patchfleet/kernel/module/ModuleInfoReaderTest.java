package io.patchfleet.kernel.module;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.Test;

class ModuleInfoReaderTest {

    static final String SAMPLE_MODINFO = "retpoline=Y\0livepatch=Y\0license=GPL\0depends=\0alias=a\0alias=b\0"
            + "name=livepatch_sample\0vermagic=6.1.0-56-amd64 SMP preempt mod_unload modversions \0\0\0";

    /** A minimal relocatable ELF with a name table and a .modinfo section, as the kernel's build writes. */
    static byte[] elf(boolean is64, ByteOrder order, int machine, String modinfo, String sectionName) {
        byte[] names = ("\0.shstrtab\0" + sectionName + "\0").getBytes(StandardCharsets.US_ASCII);
        byte[] info = modinfo.getBytes(StandardCharsets.UTF_8);
        int ehsize = is64 ? 64 : 52;
        int shentsize = is64 ? 64 : 40;
        int namesOff = ehsize;
        int infoOff = namesOff + names.length;
        int shoff = infoOff + info.length;
        ByteBuffer b = ByteBuffer.allocate(shoff + 3 * shentsize).order(order);
        b.put(new byte[] {0x7f, 'E', 'L', 'F', (byte) (is64 ? 2 : 1), (byte) (order == ByteOrder.LITTLE_ENDIAN ? 1 : 2), 1});
        b.putShort(16, (short) 1).putShort(18, (short) machine);
        if (is64) {
            b.putLong(0x28, shoff).putShort(0x3A, (short) shentsize).putShort(0x3C, (short) 3).putShort(0x3E, (short) 1);
        } else {
            b.putInt(0x20, shoff).putShort(0x2E, (short) shentsize).putShort(0x30, (short) 3).putShort(0x32, (short) 1);
        }
        b.position(namesOff);
        b.put(names).put(info);
        section(b, is64, shoff + shentsize, 1, 3, namesOff, names.length);
        section(b, is64, shoff + 2 * shentsize, 11, 1, infoOff, info.length);
        return b.array();
    }

    private static void section(ByteBuffer b, boolean is64, int at, int name, int type, long offset, long size) {
        b.putInt(at, name).putInt(at + 4, type);
        if (is64) {
            b.putLong(at + 24, offset).putLong(at + 32, size);
        } else {
            b.putInt(at + 16, (int) offset).putInt(at + 20, (int) size);
        }
    }

    @Test
    void readsNameVermagicAndTheLivepatchFlag() throws Exception {
        ModuleInfo info = ModuleInfoReader.read(elf(true, ByteOrder.LITTLE_ENDIAN, 0x3E, SAMPLE_MODINFO, ".modinfo"));
        assertEquals("x86_64", info.architecture());
        assertEquals("livepatch_sample", info.name().orElseThrow());
        assertEquals("6.1.0-56-amd64", info.kernelRelease().orElseThrow());
        assertEquals("6.1.0-56-amd64 SMP preempt mod_unload modversions ", info.vermagic().orElseThrow());
        assertTrue(info.isLivepatch());
        assertEquals(List.of("a", "b"), info.fields().get("alias"));
        assertEquals(List.of(""), info.fields().get("depends"));
    }

    @Test
    void readsBigEndian32BitModulesToo() throws Exception {
        ModuleInfo info = ModuleInfoReader.read(elf(false, ByteOrder.BIG_ENDIAN, 0x16, SAMPLE_MODINFO, ".modinfo"));
        assertEquals("s390x", info.architecture());
        assertEquals("livepatch_sample", info.name().orElseThrow());
    }

    @Test
    void anOrdinaryModuleIsNotALivepatch() throws Exception {
        ModuleInfo info = ModuleInfoReader.read(elf(true, ByteOrder.LITTLE_ENDIAN, 0x3E, "name=ext4\0vermagic=6.1.0 SMP\0", ".modinfo"));
        assertFalse(info.isLivepatch());
    }

    @Test
    void refusesWhatIsNotAModule() {
        assertEquals("not an ELF file, so not a kernel module",
                assertThrows(ModuleFormatException.class, () -> ModuleInfoReader.read("hello".getBytes())).getMessage());
        assertTrue(assertThrows(ModuleFormatException.class,
                () -> ModuleInfoReader.read(elf(true, ByteOrder.LITTLE_ENDIAN, 0x3E, "x=y\0", ".text"))).getMessage()
                .contains("no .modinfo section"));
        byte[] xz = new byte[64];
        xz[0] = (byte) 0xfd;
        xz[1] = '7';
        xz[2] = 'z';
        assertTrue(assertThrows(ModuleFormatException.class, () -> ModuleInfoReader.read(xz)).getMessage().contains("xz"));
    }

    @Test
    void truncatedOrHostileOffsetsAreCaughtNotRead() {
        byte[] good = elf(true, ByteOrder.LITTLE_ENDIAN, 0x3E, SAMPLE_MODINFO, ".modinfo");
        // Cut the file inside the section table.
        byte[] cut = Arrays.copyOf(good, good.length - 10);
        assertTrue(assertThrows(ModuleFormatException.class, () -> ModuleInfoReader.read(cut)).getMessage().contains("outside the file"));
        // Point .modinfo far beyond the end.
        byte[] hostile = good.clone();
        ByteBuffer b = ByteBuffer.wrap(hostile).order(ByteOrder.LITTLE_ENDIAN);
        int shoff = (int) b.getLong(0x28);
        b.putLong(shoff + 2 * 64 + 24, Long.MAX_VALUE - 5);
        assertTrue(assertThrows(ModuleFormatException.class, () -> ModuleInfoReader.read(hostile)).getMessage().contains("outside the file"));
        // A section count that runs past the end.
        byte[] many = good.clone();
        ByteBuffer.wrap(many).order(ByteOrder.LITTLE_ENDIAN).putShort(0x3C, (short) 60000);
        assertThrows(ModuleFormatException.class, () -> ModuleInfoReader.read(many));
    }

    @Test
    void anExecutableIsNotAModule() {
        byte[] exec = elf(true, ByteOrder.LITTLE_ENDIAN, 0x3E, SAMPLE_MODINFO, ".modinfo");
        ByteBuffer.wrap(exec).order(ByteOrder.LITTLE_ENDIAN).putShort(16, (short) 2);
        assertTrue(assertThrows(ModuleFormatException.class, () -> ModuleInfoReader.read(exec)).getMessage().contains("relocatable"));
    }
}
