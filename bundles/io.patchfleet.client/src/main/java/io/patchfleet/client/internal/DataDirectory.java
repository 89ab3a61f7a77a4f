package io.patchfleet.client.internal;

import java.nio.file.Path;

import org.osgi.framework.BundleContext;

/** Where the client keeps its state: the launcher's {@code patchfleet.data} framework property. */
final class DataDirectory {
    static final String PROPERTY = "patchfleet.data";

    private DataDirectory() {}

    static Path of(BundleContext context) {
        String value = context.getProperty(PROPERTY);
        if (value == null || value.isBlank()) {
            throw new IllegalStateException("Framework property " + PROPERTY + " is not set; start the client with 'patchfleet client'");
        }
        return Path.of(value).toAbsolutePath();
    }
}
