package io.patchfleet.kernel.module;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads the {@code .modinfo} section of an ELF kernel module (32- or 64-bit, either byte order).
 * Every offset and size read from the file is checked against the file's length, so a truncated
 * or hostile file gives a {@link ModuleFormatException}, never an out-of-bounds read.
 * Compressed modules ({@code .ko.xz}, {@code .ko.zst}) must be decompressed first.
 */
public final class ModuleInfoReader {

    /** Largest module file read: livepatch modules are kilobytes to a few megabytes. */
    public static final long MAX_MODULE_BYTES = 64L * 1024 * 1024;

    private static final int SHT_NOBITS = 8;

    private ModuleInfoReader() {}

    public static ModuleInfo read(Path file) throws IOException, ModuleFormatException {
        long size = Files.size(file);
        if (size > MAX_MODULE_BYTES) {
            throw new ModuleFormatException(file + " is " + size + " bytes; a kernel module larger than "
                    + MAX_MODULE_BYTES + " bytes is refused");
        }
        return read(Files.readAllBytes(file));
    }

    public static ModuleInfo read(byte[] bytes) throws ModuleFormatException {
        if (bytes.length < 52 || bytes[0] != 0x7f || bytes[1] != 'E' || bytes[2] != 'L' || bytes[3] != 'F') {
            if (bytes.length >= 6 && (bytes[0] & 0xff) == 0xfd && bytes[1] == '7' && bytes[2] == 'z') {
                throw new ModuleFormatException("this is an xz-compressed module; decompress it first (unxz)");
            }
            if (bytes.length >= 4 && (bytes[0] & 0xff) == 0x28 && (bytes[1] & 0xff) == 0xb5) {
                throw new ModuleFormatException("this is a zstd-compressed module; decompress it first (unzstd)");
            }
            throw new ModuleFormatException("not an ELF file, so not a kernel module");
        }
        boolean is64 = switch (bytes[4]) {
            case 1 -> false;
            case 2 -> true;
            default -> throw new ModuleFormatException("unknown ELF class " + bytes[4]);
        };
        ByteBuffer buf = ByteBuffer.wrap(bytes).order(switch (bytes[5]) {
            case 1 -> ByteOrder.LITTLE_ENDIAN;
            case 2 -> ByteOrder.BIG_ENDIAN;
            default -> throw new ModuleFormatException("unknown ELF byte order " + bytes[5]);
        });
        if (is64 && bytes.length < 64) {
            throw new ModuleFormatException("ELF header truncated");
        }
        int type = Short.toUnsignedInt(buf.getShort(16));
        if (type != 1) { // ET_REL: kernel modules are relocatable objects
            throw new ModuleFormatException("ELF type " + type + " is not a relocatable object (kernel modules are ET_REL)");
        }
        int machine = Short.toUnsignedInt(buf.getShort(18));
        long shoff = is64 ? buf.getLong(0x28) : Integer.toUnsignedLong(buf.getInt(0x20));
        int shentsize = Short.toUnsignedInt(buf.getShort(is64 ? 0x3A : 0x2E));
        int shnum = Short.toUnsignedInt(buf.getShort(is64 ? 0x3C : 0x30));
        int shstrndx = Short.toUnsignedInt(buf.getShort(is64 ? 0x3E : 0x32));
        int minEntry = is64 ? 64 : 40;
        if (shnum == 0 || shentsize < minEntry || shstrndx >= shnum) {
            throw new ModuleFormatException("ELF section table missing or malformed");
        }
        check(bytes, shoff, (long) shnum * shentsize, "section table");

        Section names = section(buf, bytes, is64, shoff + (long) shstrndx * shentsize);
        check(bytes, names.offset, names.size, "section name table");
        Section modinfo = null;
        for (int i = 0; i < shnum; i++) {
            Section s = section(buf, bytes, is64, shoff + (long) i * shentsize);
            if (".modinfo".equals(cString(bytes, names.offset, names.size, s.name))) {
                modinfo = s;
                break;
            }
        }
        if (modinfo == null || modinfo.type == SHT_NOBITS) {
            throw new ModuleFormatException("no .modinfo section: not a kernel module");
        }
        check(bytes, modinfo.offset, modinfo.size, ".modinfo section");
        return new ModuleInfo(architecture(machine, buf.order()), parse(bytes, (int) modinfo.offset, (int) modinfo.size));
    }

    private record Section(long name, int type, long offset, long size) {}

    private static Section section(ByteBuffer buf, byte[] bytes, boolean is64, long at) throws ModuleFormatException {
        check(bytes, at, is64 ? 64 : 40, "section header");
        int p = (int) at;
        long name = Integer.toUnsignedLong(buf.getInt(p));
        int type = buf.getInt(p + 4);
        long offset = is64 ? buf.getLong(p + 24) : Integer.toUnsignedLong(buf.getInt(p + 16));
        long size = is64 ? buf.getLong(p + 32) : Integer.toUnsignedLong(buf.getInt(p + 20));
        return new Section(name, type, offset, size);
    }

    private static void check(byte[] bytes, long offset, long length, String what) throws ModuleFormatException {
        if (offset < 0 || length < 0 || offset > bytes.length || length > bytes.length - offset) {
            throw new ModuleFormatException(what + " lies outside the file (truncated or corrupt module)");
        }
    }

    private static String cString(byte[] bytes, long tableOffset, long tableSize, long index) throws ModuleFormatException {
        if (index >= tableSize) {
            throw new ModuleFormatException("section name outside the name table");
        }
        int start = (int) (tableOffset + index);
        int end = start;
        int limit = (int) (tableOffset + tableSize);
        while (end < limit && bytes[end] != 0) {
            end++;
        }
        return new String(bytes, start, end - start, StandardCharsets.ISO_8859_1);
    }

    private static Map<String, List<String>> parse(byte[] bytes, int offset, int size) {
        Map<String, List<String>> fields = new LinkedHashMap<>();
        int end = offset + size;
        int i = offset;
        while (i < end) {
            int j = i;
            while (j < end && bytes[j] != 0) {
                j++;
            }
            if (j > i) {
                String entry = new String(bytes, i, j - i, StandardCharsets.UTF_8);
                int eq = entry.indexOf('=');
                if (eq > 0) {
                    fields.computeIfAbsent(entry.substring(0, eq), k -> new ArrayList<>()).add(entry.substring(eq + 1));
                }
            }
            i = j + 1; // entries are NUL-separated; padding NULs are skipped
        }
        fields.replaceAll((k, v) -> List.copyOf(v));
        return fields;
    }

    /** ELF e_machine to the kernel's architecture name (uname -m). */
    static String architecture(int machine, ByteOrder order) {
        return switch (machine) {
            case 0x3E -> "x86_64";
            case 0x03 -> "i686";
            case 0xB7 -> "aarch64";
            case 0x28 -> "arm";
            case 0x15 -> order == ByteOrder.LITTLE_ENDIAN ? "ppc64le" : "ppc64";
            case 0x16 -> "s390x";
            case 0xF3 -> "riscv64";
            default -> "unknown-" + machine;
        };
    }
}
