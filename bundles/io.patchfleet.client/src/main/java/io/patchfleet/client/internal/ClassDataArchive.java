package io.patchfleet.client.internal;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.wiring.BundleWiring;
import org.slf4j.Logger;

/**
 * Writes the client's class-data archive (AppCDS, a dynamic archive) at one defined moment: right
 * after the first successful check-in of a client process that {@code bin/patchfleet} started to
 * record one (it does so while no archive exists for this JVM and distribution).
 *
 * <p>Why then, and not when the JVM exits ({@code -XX:ArchiveClassesAtExit}, as before): an
 * archive written at exit holds whatever the first command happened to load before it ended — a
 * daemon stopped before its first check-in, one that also served {@code enable} and
 * {@code config}, or a failing {@code --once} — so its contents, and the next starts' CPU and
 * memory, depended on history. After the first successful check-in the process has loaded
 * exactly what every later start loads to reach its first check-in: the framework, the
 * profile's bundles, the TUF verifier, the HTTP client and the wire types. Classes that were
 * loaded but not yet linked at exit were also skipped by the at-exit dump (Jackson's, among
 * others), and then parsed again at every start.
 *
 * <p>How: the JVM was started with {@code -XX:+RecordDynamicDumpInfo}; {@code jcmd PID VM.cds
 * dynamic_dump FILE} (JDK 17+) asks it to write the archive now. The file is written under a
 * temporary name and moved into place, so a start never maps a half-written archive; a JVM that
 * finds the archive unusable (another JVM build, changed jars) ignores it ({@code -Xshare:auto}),
 * and the script names archives by the JVM and the distribution's files anyway.
 *
 * <p>Before the dump, every class the process has loaded is linked ({@link #linkLoadedClasses}):
 * JDK 17's dynamic dump skips classes that were loaded but never linked ("Not linked": ~230 of
 * Jackson's, loaded only so that the verifier could check other classes' types, and a few hundred
 * of the JDK's and the framework's), and later starts then parse them from their jars into
 * metaspace. JDK 19+ links them itself before dumping.
 */
final class ClassDataArchive {

    private static final Logger LOG = AgentLog.logger(ClassDataArchive.class);

    private final Path archive;
    private final Path jcmd;
    /** Whose bundles' classes to link before the dump; null: link nothing. */
    private final BundleContext context;
    private boolean done;

    private ClassDataArchive(Path archive, Path jcmd, BundleContext context) {
        this.archive = archive;
        this.jcmd = jcmd;
        this.context = context;
    }

    /** The archive to write, when the launcher asked for one ({@code patchfleet.cds.archive} and {@code patchfleet.cds.jcmd}); else null. */
    static ClassDataArchive requested(String archive, String jcmd) {
        return requested(archive, jcmd, null);
    }

    /** As {@link #requested(String, String)}, linking the loaded classes of the framework's bundles (and the JDK's) before the dump. */
    static ClassDataArchive requested(String archive, String jcmd, BundleContext context) {
        if (archive == null || archive.isBlank() || jcmd == null || jcmd.isBlank()) {
            return null;
        }
        return new ClassDataArchive(Path.of(archive), Path.of(jcmd), context);
    }

    /** After a successful check-in: writes the archive the first time; later calls do nothing. */
    synchronized void afterCheckIn() {
        if (done) {
            return;
        }
        done = true;
        if (Files.exists(archive)) {
            return; // another client process wrote it meanwhile
        }
        long pid = ProcessHandle.current().pid();
        Path part = archive.resolveSibling(archive.getFileName() + ".part." + pid);
        long started = System.nanoTime();
        try {
            if (context != null) {
                linkLoadedClasses(pid);
            }
            Process p = new ProcessBuilder(List.of(jcmd.toString(), Long.toString(pid), "VM.cds", "dynamic_dump", part.toString()))
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException(jcmd + " did not finish within 120 s");
            }
            if (p.exitValue() != 0 || !Files.isRegularFile(part) || Files.size(part) == 0) {
                throw new IOException(jcmd + " VM.cds dynamic_dump exited with " + p.exitValue() + " and no archive");
            }
            Files.move(part, archive, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            LOG.info("Class-data archive written to {} after the first check-in ({} ms); later starts map it",
                    archive, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
        } catch (IOException e) {
            LOG.warn("Class-data archive not written ({}); the client runs without one", e.getMessage());
            deleteQuietly(part);
        } catch (InterruptedException e) {
            deleteQuietly(part);
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Links every class this JVM has loaded, as far as it can be found again by name: bundle
     * classes through their bundle's class loader, the rest through the application class loader
     * (the JDK's, the framework's, the launcher's). Linking is what reflection on the declared
     * constructors does first (HotSpot links a class before listing its members); it verifies
     * the class and runs no static initializer. The list of loaded classes comes from {@code jcmd
     * PID VM.class_hierarchy}, which lists loaded classes whether linked or not. A class that
     * cannot be linked (a missing optional dependency) is left as it was: the dump skips it, as
     * before. Returns how many classes were linked or already linked.
     */
    int linkLoadedClasses(long pid) throws IOException, InterruptedException {
        long started = System.nanoTime();
        // One pass over what is loaded now. Linking loads more classes (the verifier's type
        // checks, the constructors' parameter types); a second and third pass over those were
        // measured: the archive grew by ~1 MB and later starts took not one class more from it.
        List<String> names = loadedClassNames(jcmd, pid);
        Map<String, ClassLoader> loaderOfPackage = new HashMap<>();
        Bundle[] bundles = context.getBundles();
        ClassLoader app = ClassLoader.getSystemClassLoader();
        int linked = 0;
        int failed = 0;
        for (String name : names) {
            int dot = name.lastIndexOf('.');
            String pkg = dot < 0 ? "" : name.substring(0, dot);
            ClassLoader loader = loaderOfPackage.get(pkg);
            if (loader == null) {
                loader = bundleLoader(bundles, name.replace('.', '/') + ".class");
                if (loader == null) {
                    loader = app;
                } else {
                    loaderOfPackage.put(pkg, loader);
                }
            }
            try {
                Class.forName(name, false, loader).getDeclaredConstructors();
                linked++;
            } catch (ClassNotFoundException | LinkageError | SecurityException e) {
                failed++;
            }
        }
        LOG.debug("Class-data archive: {} loaded classes linked, {} not ({} ms)", linked, failed,
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
        return linked;
    }

    /** The class loader of the bundle holding {@code entry}; null when no resolved bundle does. */
    private static ClassLoader bundleLoader(Bundle[] bundles, String entry) {
        for (Bundle b : bundles) {
            if (b.getBundleId() == 0 || (b.getState() & (Bundle.RESOLVED | Bundle.STARTING | Bundle.ACTIVE | Bundle.STOPPING)) == 0
                    || b.getEntry(entry) == null) {
                continue;
            }
            BundleWiring wiring = b.adapt(BundleWiring.class);
            ClassLoader loader = wiring == null ? null : wiring.getClassLoader();
            if (loader != null) {
                return loader; // null for a fragment: its classes are its host's, found on
            }
        }
        return null;
    }

    /** Names of the classes this JVM has loaded (hidden classes and lambdas left out), from {@code jcmd PID VM.class_hierarchy}. */
    static List<String> loadedClassNames(Path jcmd, long pid) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(List.of(jcmd.toString(), Long.toString(pid), "VM.class_hierarchy"))
                .redirectErrorStream(true).start();
        List<String> names = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null;) {
                String name = classNameOf(line);
                if (name != null) {
                    names.add(name);
                }
            }
        }
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException(jcmd + " VM.class_hierarchy did not finish within 60 s");
        }
        return names;
    }

    /**
     * The class name of one line of {@code VM.class_hierarchy} ({@code |  |--name/loader (intf)});
     * null for other lines, array classes and hidden classes (whose names hold a '/').
     */
    static String classNameOf(String line) {
        int start = line.indexOf("--");
        if (start < 0 && !line.startsWith("java.lang.Object/")) {
            return null;
        }
        String rest = line.substring(start < 0 ? 0 : start + 2);
        int slash = rest.lastIndexOf('/');
        if (slash <= 0) {
            return null;
        }
        String name = rest.substring(0, slash);
        if (name.indexOf('/') >= 0 || name.startsWith("[") || name.isEmpty()) {
            return null;
        }
        return name;
    }

    private static void deleteQuietly(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException ignored) {
            // a leftover part file is removed by the launcher script at the next start
        }
    }
}
