package io.patchfleet.kernel.module;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * What a kernel module says about itself.
 *
 * @param architecture the kernel's name for the ELF machine, such as {@code x86_64} or
 *     {@code aarch64}; {@code unknown-<e_machine>} for machines this reader does not name
 * @param fields every {@code .modinfo} entry in file order; a key may repeat (such as
 *     {@code alias}), so values are lists. Never null.
 */
public record ModuleInfo(String architecture, Map<String, List<String>> fields) {

    public ModuleInfo {
        Objects.requireNonNull(architecture, "architecture");
        fields = Map.copyOf(Objects.requireNonNull(fields, "fields"));
    }

    /** The first value of a field; empty if the module has no such field. */
    public Optional<String> field(String key) {
        List<String> values = fields.get(key);
        return values == null || values.isEmpty() ? Optional.empty() : Optional.of(values.get(0));
    }

    /** The module name ({@code name=}); empty for very old modules that lack it. */
    public Optional<String> name() {
        return field("name");
    }

    /** The whole vermagic string, such as {@code 6.1.0-56-amd64 SMP preempt mod_unload modversions }. */
    public Optional<String> vermagic() {
        return field("vermagic");
    }

    /** The kernel release the module was built for: the first word of vermagic. */
    public Optional<String> kernelRelease() {
        return vermagic().map(String::trim).filter(v -> !v.isEmpty()).map(v -> v.split("\\s+")[0]);
    }

    /** True when the module declares itself a livepatch module ({@code livepatch=Y}). */
    public boolean isLivepatch() {
        return field("livepatch").map("Y"::equals).orElse(false);
    }
}
