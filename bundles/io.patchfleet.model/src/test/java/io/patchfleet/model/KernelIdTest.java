package io.patchfleet.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class KernelIdTest {

    @ParameterizedTest
    @CsvSource({
        "5.15.0-91-generic, generic",
        "6.1.0-13-cloud-amd64, cloud-amd64",
        "5.4.0-1103-aws, aws",
        "5.14.0-362.8.1.el9_3.x86_64, ''",
        "6.6.1, ''",
    })
    void derivesFlavourFromRelease(String release, String flavour) {
        assertEquals(flavour, KernelId.flavourOf(release));
        assertEquals(flavour, KernelId.of(release, "x86_64", "").flavour());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "generic", "5", "5.15.0 -91", "../5.15.0", "5.15.0/x", "5.15.0-91-generic\n",
        "5.15.0-91-generic-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"})
    void rejectsMalformedRelease(String release) {
        assertThrows(IllegalArgumentException.class, () -> KernelId.checkRelease(release));
        assertThrows(IllegalArgumentException.class, () -> KernelId.of(release, "x86_64", ""));
    }

    @Test
    void rejectsMalformedArchitectureAndBuild() {
        assertThrows(IllegalArgumentException.class, () -> KernelId.of("5.15.0-91-generic", "X86/64", ""));
        assertThrows(IllegalArgumentException.class, () -> KernelId.of("5.15.0-91-generic", "", ""));
        assertThrows(IllegalArgumentException.class, () -> KernelId.of("5.15.0-91-generic", "x86_64", "#1\nSMP"));
        assertThrows(NullPointerException.class, () -> new KernelId("5.15.0-91-generic", "x86_64", "generic", null));
    }

    @Test
    void matchesIgnoresUnknownBuildButNotDifferentBuild() {
        KernelId target = KernelId.of("5.15.0-91-generic", "x86_64", "#101-Ubuntu SMP");
        assertTrue(KernelId.of("5.15.0-91-generic", "x86_64", "").matches(target));
        assertTrue(KernelId.of("5.15.0-91-generic", "x86_64", "#101-Ubuntu SMP").matches(target));
        assertFalse(KernelId.of("5.15.0-91-generic", "x86_64", "#102-Ubuntu SMP").matches(target));
        assertFalse(KernelId.of("5.15.0-91-generic", "aarch64", "#101-Ubuntu SMP").matches(target));
        assertFalse(KernelId.of("5.15.0-92-generic", "x86_64", "").matches(target));
    }

    @Test
    void versionsOrderNumerically() {
        assertEquals(new KernelVersion(5, 15, 0), KernelId.of("5.15.0-91-generic", "x86_64", "").version());
        assertEquals(new KernelVersion(6, 6, 0), KernelVersion.ofRelease("6.6"));
        assertTrue(KernelVersion.parse("5.4.0").compareTo(KernelVersion.parse("5.15")) < 0);
        assertTrue(KernelVersion.parse("6.1.10").compareTo(KernelVersion.parse("6.1.9")) > 0);
        assertThrows(IllegalArgumentException.class, () -> KernelVersion.parse("5.15.0-91"));
    }
}
