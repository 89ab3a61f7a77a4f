package io.patchfleet.kernel.api;

import java.util.List;
import java.util.Objects;

/** A kernel operation failed. Checked: the client reports every failure as an error event. */
public class KernelException extends Exception {
    private static final long serialVersionUID = 1L;

    private final Reason reason;
    private final List<String> blockingTasks;
    private final boolean kernelChanged;

    public KernelException(Reason reason, String message) {
        this(reason, message, List.of(), false, null);
    }

    public KernelException(Reason reason, String message, Throwable cause) {
        this(reason, message, List.of(), false, cause);
    }

    /**
     * @param blockingTasks for {@link Reason#TRANSITION_STALLED}: the tasks that blocked the
     *     transition ({@code pid comm}, with a stack where readable); otherwise empty
     * @param kernelChanged whether the kernel could not be returned to its state before the
     *     call (e.g. a reversed transition that stalled too, a module that would not unload)
     */
    public KernelException(Reason reason, String message, List<String> blockingTasks, boolean kernelChanged,
            Throwable cause) {
        super(Objects.requireNonNull(message, "message"), cause);
        this.reason = Objects.requireNonNull(reason, "reason");
        this.blockingTasks = List.copyOf(Objects.requireNonNull(blockingTasks, "blockingTasks"));
        this.kernelChanged = kernelChanged;
    }

    /** Why; never {@code null}. */
    public Reason reason() {
        return reason;
    }

    /** Tasks that blocked a transition; empty unless {@link Reason#TRANSITION_STALLED}. */
    public List<String> blockingTasks() {
        return blockingTasks;
    }

    /**
     * Whether the kernel is left changed by the failed call. When true, the client reports
     * {@code apply-failed} with this detail and does not retry the patch automatically.
     */
    public boolean kernelChanged() {
        return kernelChanged;
    }

    /** Why a kernel operation failed. */
    public enum Reason {
        /** The kernel has no livepatch support. */
        NOT_SUPPORTED,
        /** {@code finit_module} refused the module: signature, vermagic, symbol or format error. */
        LOAD_REFUSED,
        /** The module loaded but registered another livepatch name; it was unloaded. */
        WRONG_PATCH_NAME,
        /** The transition did not finish in time; it was reversed. See {@link #blockingTasks()}. */
        TRANSITION_STALLED,
        /** Another change is running, a transition is in progress, or the module is in use. */
        BUSY,
        /** Missing privilege, lockdown, or module loading disabled. */
        NOT_PERMITTED,
        /** No such livepatch is loaded. */
        NOT_FOUND,
        /** Reading or writing sysfs, procfs or the module file failed. */
        IO
    }
}
