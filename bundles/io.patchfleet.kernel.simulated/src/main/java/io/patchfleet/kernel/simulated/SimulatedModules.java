package io.patchfleet.kernel.simulated;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Set;

/**
 * Writes module files for the simulated kernel: minimal relocatable ELF objects with a
 * {@code .modinfo} section ({@code name=}, {@code vermagic=}, {@code livepatch=Y}), which
 * {@link io.patchfleet.kernel.module.ModuleInfoReader} reads like a real {@code .ko}. They hold
 * no code; the simulated kernel only looks at the module information, the simulated
 * {@code replace=Y} flag and the signature trailer.
 */
public final class SimulatedModules {
    /** The trailer the kernel looks for at the end of a signed module. */
    public static final String SIGNATURE_MAGIC = "~Module signature appended~\n";

    /** Variations from the default: a livepatch with atomic replace, unsigned. */
    public enum Flag {
        /** An ordinary module ({@code livepatch=Y} left out). */
        NOT_LIVEPATCH,
        /** A patch that stacks on earlier ones instead of replacing them. */
        NO_REPLACE,
        /** A (fake) signature trailer, accepted by the simulated kernel when signatures are enforced. */
        SIGNED
    }

    private SimulatedModules() {}

    /** A cumulative (atomic replace), unsigned x86_64 livepatch named {@code name} for {@code release}. */
    public static Path write(Path file, String name, String release) throws IOException {
        return write(file, name, release, "x86_64");
    }

    /**
     * Writes a module file.
     *
     * @param name the module (= livepatch) name, as in {@code .modinfo name=}
     * @param release the kernel release for {@code vermagic}
     * @param architecture {@code x86_64}, {@code aarch64}, {@code s390x}, {@code ppc64le} or {@code riscv64}
     * @return {@code file}
     */
    public static Path write(Path file, String name, String release, String architecture, Flag... flags) throws IOException {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(release, "release");
        Set<Flag> set = flags.length == 0 ? Set.of() : Set.of(flags);
        StringBuilder modinfo = new StringBuilder();
        modinfo.append("license=GPL\0");
        if (!set.contains(Flag.NOT_LIVEPATCH)) {
            modinfo.append("livepatch=Y\0");
            modinfo.append("replace=").append(set.contains(Flag.NO_REPLACE) ? "N" : "Y").append('\0');
        }
        modinfo.append("depends=\0");
        modinfo.append("name=").append(name).append('\0');
        modinfo.append("vermagic=").append(release).append(" SMP preempt mod_unload modversions \0");
        byte[] elf = elf(machine(architecture), order(architecture), modinfo.toString());
        if (set.contains(Flag.SIGNED)) {
            byte[] trailer = ("\0fake-signature-of-" + name + SIGNATURE_MAGIC).getBytes(StandardCharsets.US_ASCII);
            byte[] signed = new byte[elf.length + trailer.length];
            System.arraycopy(elf, 0, signed, 0, elf.length);
            System.arraycopy(trailer, 0, signed, elf.length, trailer.length);
            elf = signed;
        }
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        Files.write(file, elf);
        return file;
    }

    /** Whether the module bytes end with the signature trailer. */
    static boolean isSigned(byte[] module) {
        byte[] magic = SIGNATURE_MAGIC.getBytes(StandardCharsets.US_ASCII);
        if (module.length < magic.length) {
            return false;
        }
        for (int i = 0; i < magic.length; i++) {
            if (module[module.length - magic.length + i] != magic[i]) {
                return false;
            }
        }
        return true;
    }

    private static int machine(String architecture) {
        return switch (architecture) {
            case "x86_64" -> 0x3E;
            case "aarch64" -> 0xB7;
            case "s390x" -> 0x16;
            case "ppc64le", "ppc64" -> 0x15;
            case "riscv64" -> 0xF3;
            default -> throw new IllegalArgumentException("unsupported architecture for a simulated module: " + architecture);
        };
    }

    private static ByteOrder order(String architecture) {
        return architecture.equals("s390x") || architecture.equals("ppc64") ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN;
    }

    /** A 64-bit ET_REL ELF with three sections: null, .shstrtab, .modinfo. */
    private static byte[] elf(int machine, ByteOrder order, String modinfo) {
        byte[] names = "\0.shstrtab\0.modinfo\0".getBytes(StandardCharsets.US_ASCII);
        byte[] info = modinfo.getBytes(StandardCharsets.UTF_8);
        int ehsize = 64;
        int shentsize = 64;
        int namesOff = ehsize;
        int infoOff = namesOff + names.length;
        int shoff = (infoOff + info.length + 7) & ~7;
        ByteBuffer b = ByteBuffer.allocate(shoff + 3 * shentsize).order(order);
        b.put(new byte[] {0x7f, 'E', 'L', 'F', 2, (byte) (order == ByteOrder.LITTLE_ENDIAN ? 1 : 2), 1});
        b.putShort(16, (short) 1).putShort(18, (short) machine).putInt(20, 1);
        b.putLong(0x28, shoff).putShort(0x34, (short) ehsize).putShort(0x3A, (short) shentsize)
                .putShort(0x3C, (short) 3).putShort(0x3E, (short) 1);
        b.position(namesOff);
        b.put(names).put(info);
        section(b, shoff + shentsize, 1, 3, namesOff, names.length);
        section(b, shoff + 2 * shentsize, 11, 1, infoOff, info.length);
        return b.array();
    }

    private static void section(ByteBuffer b, int at, int name, int type, long offset, long size) {
        b.putInt(at, name).putInt(at + 4, type).putLong(at + 24, offset).putLong(at + 32, size).putLong(at + 48, 1);
    }
}
