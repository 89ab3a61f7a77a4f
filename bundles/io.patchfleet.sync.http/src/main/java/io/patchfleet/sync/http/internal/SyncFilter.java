package io.patchfleet.sync.http.internal;

import java.util.List;
import java.util.Locale;
import java.util.Optional;

import io.patchfleet.model.KernelId;
import io.patchfleet.model.KernelVersion;

/**
 * Which kernels a sync keeps: architectures, flavours, a minimum kernel version and kernel
 * series (a release prefix such as {@code 5.15} or {@code 6.1.0}). Empty lists keep everything.
 * Applied to delegated roles ({@code kernel-<release>-<arch>}) before they are fetched and to
 * releases before their modules are downloaded, so what is filtered out costs no transfer.
 */
record SyncFilter(List<String> architectures, List<String> flavours, Optional<KernelVersion> minimum, List<String> series) {
    static final SyncFilter ALL = new SyncFilter(List.of(), List.of(), Optional.empty(), List.of());

    static SyncFilter of(String[] architectures, String[] flavours, String minimum, String[] series) {
        return new SyncFilter(clean(architectures), clean(flavours),
                minimum == null || minimum.isBlank() ? Optional.empty() : Optional.of(KernelVersion.parse(minimum.trim())),
                clean(series));
    }

    private static List<String> clean(String[] values) {
        if (values == null) {
            return List.of();
        }
        return java.util.Arrays.stream(values).flatMap(v -> java.util.Arrays.stream(v.split(",")))
                .map(String::trim).filter(s -> !s.isEmpty()).toList();
    }

    boolean acceptsRole(String role) {
        if (!role.startsWith("kernel-")) {
            return true;
        }
        int dash = role.lastIndexOf('-');
        if (dash <= "kernel-".length()) {
            return true;
        }
        String release = role.substring("kernel-".length(), dash);
        String arch = role.substring(dash + 1);
        return acceptsRelease(release, arch);
    }

    boolean accepts(KernelId kernel) {
        return acceptsRelease(kernel.release(), kernel.architecture());
    }

    private boolean acceptsRelease(String release, String arch) {
        if (!architectures.isEmpty() && !architectures.contains(arch)) {
            return false;
        }
        if (!flavours.isEmpty()) {
            String flavour;
            try {
                flavour = KernelId.flavourOf(release);
            } catch (IllegalArgumentException e) {
                return false;
            }
            if (!flavours.contains(flavour.toLowerCase(Locale.ROOT))) {
                return false;
            }
        }
        if (minimum.isPresent()) {
            try {
                if (KernelVersion.ofRelease(release).compareTo(minimum.get()) < 0) {
                    return false;
                }
            } catch (IllegalArgumentException e) {
                return false;
            }
        }
        if (!series.isEmpty() && series.stream().noneMatch(s -> release.equals(s) || release.startsWith(s + ".")
                || release.startsWith(s + "-"))) {
            return false;
        }
        return true;
    }
}
