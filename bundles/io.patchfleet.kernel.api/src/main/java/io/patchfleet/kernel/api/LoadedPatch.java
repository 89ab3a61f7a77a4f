package io.patchfleet.kernel.api;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * One directory under {@code /sys/kernel/livepatch/}.
 *
 * @param name the livepatch (module) name; {@code [A-Za-z0-9_]}, 1–55 characters
 * @param enabled the {@code enabled} file: 1 means patched or patching
 * @param inTransition the {@code transition} file: 1 while tasks are being switched
 */
public record LoadedPatch(String name, boolean enabled, boolean inTransition) {
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_]{1,55}");

    public LoadedPatch {
        Objects.requireNonNull(name, "patch name");
        if (!NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("invalid livepatch name: \"" + name.replaceAll("\\p{Cntrl}", "?") + "\"");
        }
    }

    /** The two sysfs flags read together. */
    public TransitionState state() {
        if (inTransition) {
            return enabled ? TransitionState.PATCHING : TransitionState.UNPATCHING;
        }
        return enabled ? TransitionState.PATCHED : TransitionState.DISABLED;
    }

    /** Where a loaded livepatch stands. */
    public enum TransitionState {
        /** Enabled, transition finished: every task runs patched code. */
        PATCHED,
        /** Enabled, tasks still switching to patched code. */
        PATCHING,
        /** Disabled, tasks still switching back to the original code. */
        UNPATCHING,
        /** Disabled and settled; the module can be unloaded. */
        DISABLED
    }
}
