package io.patchfleet.platform.admin.internal;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Enumeration;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;

import org.osgi.framework.Bundle;

/**
 * The jar of a bundle's current revision, rebuilt from its entries. Works for every bundle
 * whatever its location (a profile bundle installed from a stream, a file, a test's bytes), which
 * is what a rollback needs: the framework keeps the old revision only until the update.
 * The manifest comes first, as {@link java.util.jar.JarInputStream} expects.
 */
final class BundleSnapshot {
    private BundleSnapshot() {}

    static byte[] of(Bundle bundle) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (JarOutputStream jar = new JarOutputStream(bytes)) {
            copy(bundle, "META-INF/", jar, true);
            copy(bundle, "META-INF/MANIFEST.MF", jar, false);
            Deque<String> folders = new ArrayDeque<>();
            folders.push("/");
            while (!folders.isEmpty()) {
                Enumeration<String> paths = bundle.getEntryPaths(folders.pop());
                if (paths == null) {
                    continue;
                }
                while (paths.hasMoreElements()) {
                    String path = paths.nextElement();
                    if (path.equals("META-INF/MANIFEST.MF") || path.equals("META-INF/")) {
                        if (path.equals("META-INF/")) {
                            folders.push(path);
                        }
                        continue;
                    }
                    if (path.endsWith("/")) {
                        copy(bundle, path, jar, true);
                        folders.push(path);
                    } else {
                        copy(bundle, path, jar, false);
                    }
                }
            }
        }
        return bytes.toByteArray();
    }

    private static void copy(Bundle bundle, String path, JarOutputStream jar, boolean folder) throws IOException {
        if (folder) {
            jar.putNextEntry(new JarEntry(path));
            jar.closeEntry();
            return;
        }
        URL url = bundle.getEntry(path);
        if (url == null) {
            return;
        }
        jar.putNextEntry(new JarEntry(path));
        try (InputStream in = url.openStream()) {
            in.transferTo(jar);
        }
        jar.closeEntry();
    }
}
