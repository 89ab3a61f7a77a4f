package io.patchfleet.sync.http.internal;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.patchfleet.model.KernelId;
import org.junit.jupiter.api.Test;

class SyncFilterTest {
    @Test
    void emptyFilterKeepsEverything() {
        assertTrue(SyncFilter.ALL.acceptsRole("kernel-5.15.0-91-generic-x86_64"));
        assertTrue(SyncFilter.of(new String[] {""}, new String[] {""}, "", new String[] {""})
                .accepts(KernelId.of("6.1.0-13-cloud-amd64", "aarch64", "")));
    }

    @Test
    void architecturesFlavoursMinimumAndSeriesFilterRolesAndKernels() {
        SyncFilter f = SyncFilter.of(new String[] {"x86_64"}, new String[] {"generic,aws"}, "5.15", new String[] {"5.15", "6.1.0"});
        assertTrue(f.acceptsRole("kernel-5.15.0-91-generic-x86_64"));
        assertFalse(f.acceptsRole("kernel-5.15.0-91-generic-aarch64"), "architecture");
        assertFalse(f.acceptsRole("kernel-5.15.0-91-lowlatency-x86_64"), "flavour");
        assertFalse(f.acceptsRole("kernel-5.4.0-150-generic-x86_64"), "below the minimum and not a series");
        assertFalse(f.acceptsRole("kernel-6.2.0-39-generic-x86_64"), "not a listed series");
        assertTrue(f.accepts(KernelId.of("6.1.0-13-aws", "x86_64", "")));
        assertFalse(f.accepts(KernelId.of("5.150.0-1-generic", "x86_64", "")), "a series is a prefix up to a dot or dash");
    }
}
