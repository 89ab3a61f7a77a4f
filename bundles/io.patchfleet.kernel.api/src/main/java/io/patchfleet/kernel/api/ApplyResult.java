package io.patchfleet.kernel.api;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * A successful apply.
 *
 * @param patchName the livepatch now enabled and settled
 * @param transitionTime from module load to the end of the transition; not negative
 * @param replaced patches atomic replace disabled and that were then unloaded; copied,
 *     unmodifiable; empty when none
 * @param taint the kernel taint mask after the apply ({@code /proc/sys/kernel/tainted}), for
 *     the report; not negative
 */
public record ApplyResult(String patchName, Duration transitionTime, List<String> replaced, long taint) {
    public ApplyResult {
        Objects.requireNonNull(patchName, "patchName");
        Objects.requireNonNull(transitionTime, "transitionTime");
        Objects.requireNonNull(replaced, "replaced");
        if (transitionTime.isNegative() || taint < 0) {
            throw new IllegalArgumentException("transition time and taint must not be negative");
        }
        replaced = List.copyOf(replaced);
    }
}
