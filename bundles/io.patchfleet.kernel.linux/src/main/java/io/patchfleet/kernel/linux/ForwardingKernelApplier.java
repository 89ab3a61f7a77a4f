package io.patchfleet.kernel.linux;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import io.patchfleet.kernel.api.ApplyOptions;
import io.patchfleet.kernel.api.ApplyResult;
import io.patchfleet.kernel.api.KernelApplier;
import io.patchfleet.kernel.api.KernelException;
import io.patchfleet.kernel.api.LoadedPatch;
import io.patchfleet.kernel.api.Preflight;
import io.patchfleet.model.KernelId;

/**
 * A {@link KernelApplier} service that forwards every call to the {@link LinuxApplier} its
 * component built: the real kernel's component and the simulated kernel's component differ only
 * in how they build it, so they share the forwarding here.
 */
public abstract class ForwardingKernelApplier implements KernelApplier {

    /** The applier calls go to; never null once the component is constructed. */
    protected abstract KernelApplier delegate();

    @Override
    public KernelId runningKernel() throws KernelException {
        return delegate().runningKernel();
    }

    @Override
    public List<LoadedPatch> loadedPatches() throws KernelException {
        return delegate().loadedPatches();
    }

    @Override
    public Preflight preflight() throws KernelException {
        return delegate().preflight();
    }

    @Override
    public ApplyResult apply(Path moduleFile, String expectedPatchName, ApplyOptions options) throws KernelException {
        return delegate().apply(moduleFile, expectedPatchName, options);
    }

    @Override
    public void disable(String patchName, Duration transitionTimeout) throws KernelException {
        delegate().disable(patchName, transitionTimeout);
    }

    @Override
    public void unload(String patchName) throws KernelException {
        delegate().unload(patchName);
    }
}
