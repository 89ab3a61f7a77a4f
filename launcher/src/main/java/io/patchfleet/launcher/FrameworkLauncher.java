package io.patchfleet.launcher;

import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.io.Writer;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.ServiceLoader;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;
import java.util.jar.Manifest;

import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.framework.Constants;
import org.osgi.framework.FrameworkEvent;
import org.osgi.framework.launch.Framework;
import org.osgi.framework.launch.FrameworkFactory;
import org.osgi.framework.startlevel.BundleStartLevel;
import org.osgi.util.tracker.ServiceTracker;

/**
 * Starts the Felix framework with one profile.
 *
 * <p><b>Where things live.</b> The framework's storage is {@code DATA/framework} and is kept
 * between runs, so bundles and configuration an admin installs survive a restart. The profile's
 * bundles are installed under the location {@code patchfleet:profile/<symbolic name>}; the launcher
 * records each one's SHA-256 in {@code DATA/launcher/profile.properties} and updates a bundle only
 * when the distribution's file changed (an upgrade of Patchfleet). A bundle that an admin updated
 * at run time therefore keeps the admin's version across restarts until the next upgrade.
 * Bundles an admin installed under other locations are never touched by the launcher.
 *
 * <p><b>Configuration.</b> {@code CONFIG} (default {@code DATA/etc}) holds {@code .cfg} files
 * applied to Configuration Admin by Felix FileInstall and watched for changes. On every start, a
 * default file of the profile that is missing there is copied in; files that exist are never
 * overwritten, so an operator's edits stay.
 *
 * <p><b>Start order.</b> Logging and configuration bundles start first (start level 1), then
 * Declarative Services (2), then everything else (3), so components see their configuration on
 * first activation and every log line reaches the log provider. The client starts what its first
 * check-in does not need at level 4 ({@link #startLevel(String, String)}).
 */
final class FrameworkLauncher {

    static final String LOCATION_PREFIX = "patchfleet:profile/";
    private static final int FINAL_START_LEVEL = 3;
    /** After the final level of a bundle the launcher or an admin installs: see {@link #startLevel(String, String)}. */
    static final int DEFERRED_START_LEVEL = 4;

    private final Path home;
    private final String profile;
    private final Path data;
    private final Path config;
    private final Map<String, String> extra;

    FrameworkLauncher(Path home, String profile, Path data, Path config, Map<String, String> extra) {
        this.home = home;
        this.profile = profile;
        this.data = data;
        this.config = config;
        this.extra = extra;
    }

    int run(String readiness, int readyTimeoutSeconds, String readyDetail) throws Exception {
        long started = System.nanoTime();
        Framework framework = start();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> stop(framework), "patchfleet-shutdown"));
        awaitReady(framework.getBundleContext(), readiness, readyTimeoutSeconds, started, readyDetail);
        FrameworkEvent event = framework.waitForStop(0);
        return event.getType() == FrameworkEvent.ERROR ? 4 : 0;
    }

    /** Prepares the data and configuration directories and starts the framework with the profile. */
    Framework start() throws Exception {
        Path profileDir = home.resolve("profiles").resolve(profile);
        if (!Files.isDirectory(profileDir.resolve("bundles"))) {
            throw new IllegalStateException("Profile '" + profile + "' not found at " + profileDir
                    + "; build Patchfleet first (mvn -q install -DskipTests) or set PATCHFLEET_HOME");
        }
        JdkWarmUp.start(); // on the core the framework's initialization leaves idle (see there)
        Files.createDirectories(data);
        Files.createDirectories(config);
        installDefaultConfiguration(profileDir.resolve("etc"));
        configureLogging(profileDir.resolve("bundles"));
        // JNA's native library from the JNA bundle's Bundle-NativeCode, which the framework
        // extracts once into its bundle cache (DATA/framework), instead of JNA unpacking it into a
        // temporary file at every start (a write and a delete per start, ~20-30 ms of the client's
        // first kernel call, and a failure where the temporary folder is mounted noexec). JNA tries
        // System.loadLibrary first only with jna.nosys=false; the bundle's class loader then
        // answers with the framework's copy.
        setIfAbsent("jna.nosys", "false");

        Map<String, String> properties = frameworkProperties();
        Framework framework = ServiceLoader.load(FrameworkFactory.class).findFirst()
                .orElseThrow(() -> new IllegalStateException("No OSGi framework on the class path"))
                .newFramework(properties);
        try {
            framework.init();
        } catch (BundleException e) {
            throw new IllegalStateException("Cannot start the framework in " + data
                    + " (is another Patchfleet " + profile + " using this data directory?): " + e.getMessage(), e);
        }
        log("Patchfleet " + profile + " " + Main.version() + " starting; data " + data + ", configuration " + config);
        List<Bundle> toStart = synchronizeProfileBundles(framework.getBundleContext(), profileDir.resolve("bundles"));
        recoverIncompletePluginChange(framework.getBundleContext());
        if (bundlesChanged && System.getProperty(CDS_ARCHIVE_PROPERTY) != null) {
            // The client's class-data archive (bin/patchfleet, io.patchfleet.client
            // ClassDataArchive) holds what the process loaded up to its first check-in. A start
            // that installs or updates bundles also loads what later starts never do (the XML
            // parser for Declarative Services' component descriptions, which later starts read
            // from its cache; manifest parsing; ~250 classes, ~1.5 MB of archive mapped by every
            // later start; BENCHMARKS.md, client footprint). So such a start leaves it to the next.
            System.clearProperty(CDS_ARCHIVE_PROPERTY);
            log("Class-data archive: left to the next start (this one installed or updated bundles)");
        }
        // Every bundle resolved here, on this thread, before the preload thread, the start-level
        // thread and this thread's starts below run: Felix lets a thread that holds a bundle's lock
        // (a start) fail rather than wait for the global resolve lock another thread holds. With the
        // preload resolving on its own thread, a first start's Configuration Admin once failed to
        // start ("Unable to acquire global lock for resolve"), and the client ran on built-in
        // defaults (found by the e2e kill -9 test). Resolving is the framework's next step anyway.
        framework.adapt(org.osgi.framework.wiring.FrameworkWiring.class).resolveBundles(null);
        startPreloads(framework, properties, toStart);
        framework.start();
        for (Bundle b : toStart) {
            try {
                b.start();
            } catch (BundleException e) {
                log("ERROR bundle " + b.getSymbolicName() + " did not start: " + e.getMessage());
            }
        }
        profileState.putAll(pendingState);
        pendingState.clear();
        writeProfileState();
        return framework;
    }

    /** The manifest header naming a bundle's preload class (see {@link #startPreloads}). */
    static final String PRELOAD_HEADER = "Patchfleet-Preload";

    /**
     * Runs the preloads of the profile bundles to be started that declare one ({@code Patchfleet-Preload: CLASS}, a
     * public class with a public no-argument constructor implementing
     * {@code Consumer<Map<String, String>>}, called with the framework properties) on one
     * background thread, while the framework starts its bundles on its own.
     *
     * <p>Why: a JVM starts everything interpreted, and a framework starts its bundles one after
     * the other on one thread, so the first minutes of work of a short start (loading and running
     * Jackson's classes to build the (de)serializers of the files and the wire, the JDK's HTTP
     * classes, JNA's native library) sat on that one path while the other core idled (the main
     * thread only waits for the start levels). A preload does the same work ahead, on the same
     * objects where it can (a bundle's shared mapper), so that the component finds it done. It only
     * reads: it changes no file and no state, and whatever it fails at is done again, the usual
     * way, by the component (its failure is logged, nothing else). Measured in BENCHMARKS.md
     * (client footprint). {@link #start} has resolved the bundles before: a preload never resolves
     * (a bundle that did not resolve is skipped).
     */
    private void startPreloads(Framework framework, Map<String, String> properties, List<Bundle> toStart) {
        List<Bundle> preloading = new ArrayList<>();
        for (Bundle b : framework.getBundleContext().getBundles()) {
            // Only the distribution's own bundles, and only those this start will start: never
            // code of a bundle an admin installed (a plugin runs once the framework starts it) or
            // stopped on purpose.
            boolean starting = toStart.contains(b) || b.adapt(BundleStartLevel.class).isPersistentlyStarted();
            if (b.getLocation().startsWith(LOCATION_PREFIX) && starting && b.getHeaders("").get(PRELOAD_HEADER) != null) {
                preloading.add(b);
            }
        }
        if (preloading.isEmpty()) {
            return;
        }
        Map<String, String> view = Map.copyOf(properties);
        Thread preload = new Thread(() -> {
            for (Bundle b : preloading) {
                String name = b.getHeaders("").get(PRELOAD_HEADER).trim();
                if ((b.getState() & (Bundle.RESOLVED | Bundle.STARTING | Bundle.ACTIVE)) == 0) {
                    // Not resolved by start(): loading its class would resolve on this thread (see there).
                    log("Preload " + name + " of " + b.getSymbolicName() + " skipped: the bundle is not resolved");
                    continue;
                }
                try {
                    @SuppressWarnings("unchecked")
                    java.util.function.Consumer<Map<String, String>> task =
                            (java.util.function.Consumer<Map<String, String>>) b.loadClass(name).getConstructor().newInstance();
                    task.accept(view);
                } catch (Exception | LinkageError e) {
                    log("Preload " + name + " of " + b.getSymbolicName() + " failed (the bundle does the same work when it starts): " + e);
                }
            }
        }, "patchfleet-preload");
        preload.setDaemon(true);
        preload.start();
    }

    private Map<String, String> frameworkProperties() {
        Map<String, String> props = new LinkedHashMap<>();
        props.put(Constants.FRAMEWORK_STORAGE, data.resolve("framework").toString());
        props.put(Constants.FRAMEWORK_BEGINNING_STARTLEVEL, Integer.toString(DEFERRED_START_LEVEL));
        props.put("felix.startlevel.bundle", Integer.toString(FINAL_START_LEVEL));
        props.put("felix.log.level", "1");
        props.put("ds.loglevel", "warn");
        // Declarative Services keeps the component descriptions it read from the bundles in its
        // data area (written at a clean stop, keyed by each bundle's last-modified time, so an
        // updated bundle is read again): later starts skip parsing every OSGI-INF/*.xml with the
        // JDK's XML parser (~150 classes loaded for it, and their parse, on each start).
        props.put("ds.cache.metadata", "true");
        props.put("patchfleet.profile", profile);
        props.put("patchfleet.version", Main.version());
        props.put("patchfleet.home", home.toString());
        props.put("patchfleet.data", data.toString());
        props.put("patchfleet.config", config.toString());
        // The configuration directory, through Felix FileInstall.
        props.put("felix.fileinstall.dir", config.toString());
        props.put("felix.fileinstall.filter", ".*\\.(cfg|config)");
        props.put("felix.fileinstall.noInitialDelay", "true");
        props.put("felix.fileinstall.poll", "2000");
        props.put("felix.fileinstall.log.level", "2");
        // Writing configuration changes back to the files: the server's admin API changes
        // configuration through Configuration Admin. Not for the client: its 'config' verb writes
        // the file itself, and FileInstall 3.7.4's write-back was seen to empty one of two .cfg
        // files present at a first start (found by the e2e kill -9 test; the other profile
        // probably shares the race, reported rather than changed here). FileInstall 3.7.4 reads
        // felix.fileinstall.enableConfigSave (the ...SaveToFile name used before was ignored).
        props.put("felix.fileinstall.enableConfigSave", Boolean.toString(!"client".equals(profile)));
        if ("client".equals(profile)) {
            // The client resolves its few bundles once per start: on the calling thread rather
            // than in a pool of resolver threads (one per core by default) that then idle for the
            // daemon's life, each with its stack (BENCHMARKS.md, client footprint).
            props.put("felix.resolver.parallelism", "1");
        }
        props.putAll(extra);
        return props;
    }

    /**
     * SPI Fly's java.util.logging logger, created only in a profile that runs SPI Fly (the server):
     * starting java.util.logging cost the client's start ~40 ms of CPU on its one busy thread, for
     * a logger of a bundle it does not have. Kept strongly reachable: java.util.logging holds its
     * loggers weakly.
     */
    private static final class SpiFlyLog {
        static final java.util.logging.Logger LOG = java.util.logging.Logger.getLogger("org.apache.aries.spifly");
    }

    /**
     * SLF4J simple provider: one line per event on standard error, with time and logger. The
     * few libraries that use java.util.logging (SPI Fly) get the same one-line shape.
     */
    private static void configureLogging(Path profileBundles) throws IOException {
        setIfAbsent("java.util.logging.SimpleFormatter.format", "%1$tFT%1$tT.%1$tLZ %4$s %3$s - %5$s%6$s%n");
        try (DirectoryStream<Path> spiFly = Files.newDirectoryStream(profileBundles, "org.apache.aries.spifly*.jar")) {
            if (spiFly.iterator().hasNext()) {
                SpiFlyLog.LOG.setLevel(java.util.logging.Level.WARNING);
            }
        }
        setIfAbsent("org.slf4j.simpleLogger.showDateTime", "true");
        setIfAbsent("org.slf4j.simpleLogger.dateTimeFormat", "yyyy-MM-dd'T'HH:mm:ss.SSSXXX");
        setIfAbsent("org.slf4j.simpleLogger.showThreadName", "false");
        setIfAbsent("org.slf4j.simpleLogger.showShortLogName", "true");
        setIfAbsent("org.slf4j.simpleLogger.defaultLogLevel", "info");
        // The client agent gates its own loggers by its configured log-level, changeable at run
        // time (io.patchfleet.client AgentLog); slf4j-simple fixes a level at logger creation, so
        // it lets everything of the agent through.
        setIfAbsent("org.slf4j.simpleLogger.log.io.patchfleet.client", "trace");
        setIfAbsent("org.slf4j.simpleLogger.log.org.eclipse.jetty", "warn");
        setIfAbsent("org.slf4j.simpleLogger.log.org.apache.felix.http", "warn");
    }

    private static void setIfAbsent(String key, String value) {
        if (System.getProperty(key) == null) {
            System.setProperty(key, value);
        }
    }

    private void installDefaultConfiguration(Path defaults) throws IOException {
        if (!Files.isDirectory(defaults)) {
            return;
        }
        try (DirectoryStream<Path> files = Files.newDirectoryStream(defaults)) {
            for (Path file : files) {
                Path target = config.resolve(file.getFileName().toString());
                if (!Files.exists(target)) {
                    Files.copy(file, target);
                    log("Default configuration " + target.getFileName() + " written to " + config);
                }
            }
        }
    }

    /**
     * Installs, updates or uninstalls profile bundles so that the framework runs exactly the
     * profile's set (plus whatever an admin installed). Returns the bundles to start: the newly
     * installed ones. The framework restores the started state of the others.
     */
    /** The profile state file's entries (digest, stamp, file name per bundle) recorded so far. */
    private Properties profileState = new Properties();
    /** Entries of bundles installed by this launch, recorded once they were started. */
    private final Properties pendingState = new Properties();
    /** Whether this launch installed, updated or uninstalled a profile bundle. */
    private boolean bundlesChanged;
    /** The system property through which bin/patchfleet asks the client to write its class-data archive. */
    static final String CDS_ARCHIVE_PROPERTY = "patchfleet.cds.archive";

    private List<Bundle> synchronizeProfileBundles(BundleContext context, Path bundles) throws Exception {
        Path stateFile = data.resolve("launcher").resolve("profile.properties");
        Properties recorded = new Properties();
        if (Files.exists(stateFile)) {
            try (Reader r = Files.newBufferedReader(stateFile)) {
                recorded.load(r);
            }
        }
        Map<String, Bundle> installed = new LinkedHashMap<>();
        for (Bundle b : context.getBundles()) {
            if (b.getLocation().startsWith(LOCATION_PREFIX)) {
                installed.put(b.getLocation().substring(LOCATION_PREFIX.length()), b);
            }
        }
        Map<Path, String> names = new LinkedHashMap<>();
        Map<Path, String> stamps = new LinkedHashMap<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(bundles, "*.jar")) {
            for (Path jar : files) {
                // Size and modification time: an unchanged file is neither opened nor hashed again
                // (reading every manifest and hashing bcprov's 8 MB with C1 code slowed each start).
                String stamp = Files.size(jar) + "@" + Files.getLastModifiedTime(jar).toMillis();
                String known = recorded.getProperty("file." + jar.getFileName());
                String bsn = known != null && known.startsWith(stamp + " ") ? known.substring(stamp.length() + 1) : symbolicName(jar);
                names.put(jar, bsn);
                stamps.put(jar, stamp);
            }
        }
        List<Path> jars = new ArrayList<>(names.keySet());
        // Install order decides bundle ids, which order the start within a start level.
        jars.sort(Comparator.comparingInt((Path p) -> startLevel(names.get(p), profile)).thenComparing(Path::toString));

        Properties now = new Properties();
        List<Bundle> toStart = new ArrayList<>();
        for (Path jar : jars) {
            String bsn = names.get(jar);
            String stamp = stamps.get(jar);
            String digest = stamp.equals(recorded.getProperty("stamp." + bsn)) && recorded.getProperty(bsn) != null
                    ? recorded.getProperty(bsn) : sha256(jar);
            Bundle existing = installed.remove(bsn);
            boolean recordedBefore = recorded.getProperty(bsn) != null;
            // A bundle to start now is recorded only once it started (see startProfileBundles), so
            // a process that dies between installing and starting it starts it at its next launch.
            Properties state = existing == null || !recordedBefore ? pendingState : now;
            state.setProperty(bsn, digest);
            state.setProperty("stamp." + bsn, stamp);
            state.setProperty("file." + jar.getFileName(), stamp + " " + bsn);
            if (existing != null && !recordedBefore) {
                // Installed by a launch that died before starting it: bring it up to the
                // distribution's content and start it (an admin's stop is never undone: a bundle
                // an admin could stop was recorded).
                try (InputStream in = Files.newInputStream(jar)) {
                    existing.update(in);
                }
                bundlesChanged = true;
                existing.adapt(BundleStartLevel.class).setStartLevel(startLevel(bsn, profile));
                if (existing.getHeaders("").get(Constants.FRAGMENT_HOST) == null) {
                    toStart.add(existing);
                }
                log("Starting " + bsn + ": installed by an earlier start that stopped before starting it");
            } else if (existing == null) {
                Bundle b;
                try (InputStream in = Files.newInputStream(jar)) {
                    b = context.installBundle(LOCATION_PREFIX + bsn, in);
                }
                bundlesChanged = true;
                b.adapt(BundleStartLevel.class).setStartLevel(startLevel(bsn, profile));
                if (b.getHeaders("").get(Constants.FRAGMENT_HOST) == null) {
                    toStart.add(b);
                }
            } else if (!digest.equals(recorded.getProperty(bsn))) {
                try (InputStream in = Files.newInputStream(jar)) {
                    existing.update(in);
                }
                bundlesChanged = true;
                existing.adapt(BundleStartLevel.class).setStartLevel(startLevel(bsn, profile));
                log("Updated " + bsn + " to " + existing.getVersion() + " from the distribution");
            } else if (existing.adapt(BundleStartLevel.class).getStartLevel() != startLevel(bsn, profile)) {
                // Unchanged, but installed by a release that started it at another level.
                existing.adapt(BundleStartLevel.class).setStartLevel(startLevel(bsn, profile));
            }
        }
        for (Map.Entry<String, Bundle> gone : installed.entrySet()) {
            log("Uninstalling " + gone.getKey() + ": no longer part of the " + profile + " profile");
            gone.getValue().uninstall();
            bundlesChanged = true;
        }
        profileState = now;
        writeProfileState();
        return toStart;
    }

    /** Records the profile bundles' digests; those just installed only after they were started. */
    private void writeProfileState() throws IOException {
        Path stateFile = data.resolve("launcher").resolve("profile.properties");
        Files.createDirectories(stateFile.getParent());
        Path tmp = stateFile.resolveSibling(stateFile.getFileName() + ".tmp");
        try (Writer w = Files.newBufferedWriter(tmp)) {
            profileState.store(w, "SHA-256 of each profile bundle last installed from the distribution");
        }
        Files.move(tmp, stateFile, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /**
     * A plugin change that runtime management (bundle {@code io.patchfleet.platform.admin}) began
     * but did not finish — the process died between its journal and its commit — is undone here,
     * before any bundle starts, so the framework comes up on the old bundle and never on a
     * half-done change. The journal, {@code DATA/platform/journal.properties}, names the bundle and
     * the saved jar of its previous revision (an update) or the location of a new bundle (an
     * install). It is then renamed {@code journal.recovered.properties} for runtime management to
     * record the recovery in its change log once it runs.
     */
    void recoverIncompletePluginChange(BundleContext context) {
        Path journalFile = data.resolve("platform").resolve("journal.properties");
        if (!Files.exists(journalFile)) {
            return;
        }
        Properties journal = new Properties();
        try (Reader r = Files.newBufferedReader(journalFile)) {
            journal.load(r);
            String action = journal.getProperty("action", "");
            if (action.equals("update")) {
                Bundle b = context.getBundle(Long.parseLong(journal.getProperty("bundle.id", "-1")));
                Path previous = Path.of(journal.getProperty("previous", ""));
                if (b != null && Files.isRegularFile(previous)) {
                    try (InputStream in = Files.newInputStream(previous)) {
                        b.update(in);
                    }
                    log("Recovered " + journal.getProperty("bsn") + ": an update did not complete before the last stop; back on "
                            + b.getVersion());
                }
            } else if (action.equals("install")) {
                Bundle b = context.getBundle(journal.getProperty("location", ""));
                if (b != null) {
                    b.uninstall();
                    log("Recovered " + journal.getProperty("bsn") + ": an install did not complete before the last stop; uninstalled");
                }
            }
            Files.move(journalFile, journalFile.resolveSibling("journal.recovered.properties"),
                    StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException | BundleException | RuntimeException e) {
            log("ERROR cannot undo the incomplete plugin change in " + journalFile + ": " + e.getMessage());
        }
    }

    static int startLevel(String bsn) {
        return startLevel(bsn, "");
    }

    /**
     * A profile bundle's start level. In the client, what its first check-in does not need starts
     * last, at {@link #DEFERRED_START_LEVEL}: the metatype service and the platform admin (plugin
     * management, whose component requires metatype). The daemon's first check-in then runs on
     * its own thread while the framework starts those, instead of after them (~0.1 s of a start
     * on 2 cores; BENCHMARKS.md, client footprint). The server starts everything by level 3: its
     * readiness waits for every component anyway.
     */
    static int startLevel(String bsn, String profile) {
        if ("client".equals(profile) && (bsn.equals("org.apache.felix.metatype") || bsn.equals("io.patchfleet.platform.admin"))) {
            return DEFERRED_START_LEVEL;
        }
        if (bsn.startsWith("slf4j.") || bsn.startsWith("org.apache.aries.spifly")
                || bsn.equals("org.apache.felix.configadmin") || bsn.equals("org.apache.felix.fileinstall")
                || bsn.equals("org.apache.felix.metatype") || bsn.startsWith("org.osgi.")) {
            return 1;
        }
        if (bsn.equals("org.apache.felix.scr")) {
            return 2;
        }
        return FINAL_START_LEVEL;
    }

    static String symbolicName(Path jar) throws IOException {
        try (JarFile jf = new JarFile(jar.toFile())) {
            Manifest mf = jf.getManifest();
            String bsn = mf == null ? null : mf.getMainAttributes().getValue(Constants.BUNDLE_SYMBOLICNAME);
            if (bsn == null) {
                throw new IOException(jar + " is not an OSGi bundle (no Bundle-SymbolicName)");
            }
            int semi = bsn.indexOf(';');
            return (semi < 0 ? bsn : bsn.substring(0, semi)).trim();
        }
    }

    static String sha256(Path file) throws IOException {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            try (InputStream in = Files.newInputStream(file)) {
                byte[] buf = new byte[65536];
                int n;
                while ((n = in.read(buf)) > 0) {
                    md.update(buf, 0, n);
                }
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private void awaitReady(BundleContext context, String readiness, int timeoutSeconds, long started, String detail)
            throws Exception {
        ServiceTracker<Object, Object> tracker = new ServiceTracker<>(context,
                context.createFilter("(patchfleet.ready=" + readiness + ")"), null);
        tracker.open(true);
        try {
            if (tracker.waitForService(TimeUnit.SECONDS.toMillis(timeoutSeconds)) != null) {
                double seconds = (System.nanoTime() - started) / 1e9;
                log(String.format("Patchfleet %s ready in %.2f s%s", profile, seconds, detail.isEmpty() ? "" : " on " + detail));
            } else {
                log("ERROR Patchfleet " + profile + " is not ready after " + timeoutSeconds
                        + " s; a component failed or waits for a dependency (see the log above"
                        + ("server".equals(profile) ? ", or GET /v1/health" : "") + ")");
            }
        } finally {
            tracker.close();
        }
    }

    static void stop(Framework framework) {
        try {
            if ((framework.getState() & (Bundle.STARTING | Bundle.ACTIVE)) != 0) {
                framework.stop();
                framework.waitForStop(30_000);
            }
        } catch (Exception e) {
            System.err.println("patchfleet: stopping the framework failed: " + e.getMessage());
        }
    }

    private static void log(String message) {
        System.err.println(java.time.OffsetDateTime.now().withNano(0) + " [launcher] " + message);
    }
}
