package io.patchfleet.kernel.api;

import io.patchfleet.model.KernelId;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.osgi.annotation.versioning.ConsumerType;

/**
 * Applies livepatch modules to the running kernel. Implemented by the kernel bundles and
 * registered as a DS service; the client agent uses exactly one (selected by configuration).
 *
 * <p><b>Threading.</b> Reads ({@link #runningKernel}, {@link #loadedPatches},
 * {@link #preflight}) are safe from any thread at any time. Changes ({@link #apply},
 * {@link #disable}, {@link #unload}) happen one at a time: the client calls them from its one
 * apply thread, and an implementation that sees a second change start while one is running
 * fails it with {@link KernelException.Reason#BUSY} rather than interleaving. Changes block
 * the calling thread up to the timeout they are given (plus a few seconds to reverse and
 * unload), never longer.
 *
 * <p><b>Errors.</b> Every failure is a {@link KernelException} with a reason. A failed change
 * leaves the kernel as before the call wherever the kernel allows it (a stalled transition is
 * reversed and the module unloaded); {@link KernelException#kernelChanged()} says when it could
 * not. Arguments are never {@code null} and results are never {@code null}.
 */
@ConsumerType
public interface KernelApplier {

    /**
     * The running kernel: release, architecture, flavour and build ({@code uname}).
     *
     * @throws KernelException {@link KernelException.Reason#IO} if it cannot be read
     */
    KernelId runningKernel() throws KernelException;

    /**
     * The livepatches loaded now, as {@code /sys/kernel/livepatch/} shows them, by stack order.
     *
     * @return empty when none is loaded
     * @throws KernelException {@link KernelException.Reason#NOT_SUPPORTED} if the kernel has no
     *     livepatch support, {@link KernelException.Reason#IO} if sysfs cannot be read
     */
    List<LoadedPatch> loadedPatches() throws KernelException;

    /**
     * Checks whether modules can be loaded at all: livepatch support, module signature
     * enforcement, lockdown, permission. Never throws for a "no": that is in the result.
     *
     * @throws KernelException {@link KernelException.Reason#IO} if the state cannot be read
     */
    Preflight preflight() throws KernelException;

    /**
     * Loads a livepatch module and waits for its transition to finish.
     *
     * <p>Steps: read the module's {@code .modinfo} and refuse, before loading, a module that is
     * not a livepatch, has another name, or was built for another kernel release or architecture;
     * refuse a name that is already loaded ({@link KernelException.Reason#LOAD_REFUSED}: check
     * {@link #loadedPatches} first); {@code finit_module} of {@code moduleFile} (retried while the
     * kernel answers busy, within the timeout); check that {@code /sys/kernel/livepatch/<expectedPatchName>}
     * appeared (otherwise unload and fail); wait for {@code transition} to become 0, signalling
     * stalled tasks if the options say so; if the timeout passes, reverse (write 0 to
     * {@code enabled}), wait for the reverse transition, unload, and fail with the blocking
     * tasks. With {@link ApplyOptions#replace()}, patches the kernel disabled by atomic replace
     * are unloaded afterwards.
     *
     * @param moduleFile the verified module file; read once
     * @param expectedPatchName the livepatch name the module must register
     * @param options timeout and behaviour
     * @return what happened
     * @throws KernelException {@link KernelException.Reason#LOAD_REFUSED},
     *     {@link KernelException.Reason#WRONG_PATCH_NAME},
     *     {@link KernelException.Reason#TRANSITION_STALLED}, {@link KernelException.Reason#BUSY},
     *     {@link KernelException.Reason#NOT_PERMITTED}, {@link KernelException.Reason#NOT_SUPPORTED},
     *     {@link KernelException.Reason#IO}
     */
    ApplyResult apply(Path moduleFile, String expectedPatchName, ApplyOptions options) throws KernelException;

    /**
     * Disables a loaded patch (write 0 to {@code enabled}) and waits for the transition back.
     * Disabling a patch that is already disabled succeeds at once; so does one whose sysfs
     * directory is gone while its module is still loaded (disabled by an atomic replace).
     *
     * @param transitionTimeout how long to wait; positive, at most {@link ApplyOptions#MAX_TIMEOUT}
     * @throws KernelException {@link KernelException.Reason#NOT_FOUND} if it is not loaded,
     *     {@link KernelException.Reason#TRANSITION_STALLED} if the timeout passed (the patch is
     *     then left enabled, the reverse having been reversed), {@link KernelException.Reason#BUSY},
     *     {@link KernelException.Reason#NOT_PERMITTED}, {@link KernelException.Reason#IO}
     */
    void disable(String patchName, Duration transitionTimeout) throws KernelException;

    /**
     * Unloads the module of a disabled patch ({@code delete_module}). Only livepatch modules are
     * unloaded; any other module name is {@link KernelException.Reason#NOT_FOUND}.
     *
     * @throws KernelException {@link KernelException.Reason#NOT_FOUND} if not loaded,
     *     {@link KernelException.Reason#BUSY} if still enabled or in transition,
     *     {@link KernelException.Reason#NOT_PERMITTED}, {@link KernelException.Reason#IO}
     */
    void unload(String patchName) throws KernelException;
}
