package io.patchfleet.kernel.linux.internal;

import java.util.Optional;

/**
 * System call numbers of the module calls, which glibc does not wrap; they differ per
 * architecture ({@code arch/x86/entry/syscalls/syscall_64.tbl}, {@code include/uapi/asm-generic/unistd.h}).
 *
 * @param finitModule {@code __NR_finit_module}
 * @param deleteModule {@code __NR_delete_module}
 */
public record Syscalls(long finitModule, long deleteModule) {
    public static final Syscalls X86_64 = new Syscalls(313, 176);
    /** aarch64 uses the generic table, as riscv64 and loongarch64 do. */
    public static final Syscalls GENERIC = new Syscalls(273, 106);

    /** The numbers for a Java {@code os.arch}; empty for architectures not supported yet. */
    public static Optional<Syscalls> forArch(String osArch) {
        return switch (osArch) {
            case "amd64", "x86_64" -> Optional.of(X86_64);
            case "aarch64", "arm64", "riscv64" -> Optional.of(GENERIC);
            default -> Optional.empty();
        };
    }
}
