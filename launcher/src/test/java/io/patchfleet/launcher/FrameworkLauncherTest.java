package io.patchfleet.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.framework.Bundle;
import org.osgi.framework.launch.Framework;

/** The launcher against a real Felix framework and a profile of small generated bundles. */
class FrameworkLauncherTest {

    @TempDir
    Path tmp;

    private Path home;
    private Path data;

    private Path profileBundles() throws IOException {
        return Files.createDirectories(home.resolve("profiles/test/bundles"));
    }

    private void setUp() throws IOException {
        home = tmp.resolve("home");
        data = tmp.resolve("data");
        Path bundles = profileBundles();
        Files.write(bundles.resolve("a.jar"), bundle("test.a", "1.0.0", ""));
        Files.write(bundles.resolve("b.jar"), bundle("test.b", "1.0.0", ""));
        Path etc = Files.createDirectories(home.resolve("profiles/test/etc"));
        Files.writeString(etc.resolve("x.cfg"), "key = default\n");
    }

    private Framework launch() throws Exception {
        return new FrameworkLauncher(home, "test", data, data.resolve("etc"), Map.of()).start();
    }

    @Test
    void installsTheProfileAndKeepsWhatAnAdminInstalledAcrossRestarts() throws Exception {
        setUp();
        Framework first = launch();
        try {
            assertEquals(Bundle.ACTIVE, find(first, "test.a").getState());
            assertEquals(Bundle.ACTIVE, find(first, "test.b").getState());
            assertEquals("false", System.getProperty("jna.nosys"), "JNA asks the bundle's class loader for its native library");
            Bundle admin = first.getBundleContext().installBundle("admin:plugin",
                    new ByteArrayInputStream(bundle("admin.plugin", "2.0.0", "")));
            admin.start();
            // An admin stops a profile bundle on purpose: the restart must not undo that.
            find(first, "test.b").stop();
        } finally {
            FrameworkLauncher.stop(first);
        }

        Framework second = launch();
        try {
            Bundle admin = find(second, "admin.plugin");
            assertNotNull(admin, "admin-installed bundle survived the restart");
            assertEquals(Bundle.ACTIVE, admin.getState());

        } finally {
            FrameworkLauncher.stop(second);
        }
    }

    @Test
    void aProfileBundleInstalledByAStartThatDiedBeforeStartingItIsStartedNextTime() throws Exception {
        setUp();
        Framework first = launch();
        try {
            // What a launch leaves when the process dies between installing a new profile bundle
            // and starting it: the bundle in the framework's storage, never started or recorded.
            first.getBundleContext().installBundle("patchfleet:profile/test.c",
                    new ByteArrayInputStream(bundle("test.c", "1.0.0", "")));
        } finally {
            FrameworkLauncher.stop(first);
        }
        Files.write(profileBundles().resolve("c.jar"), bundle("test.c", "1.0.0", ""));
        Framework second = launch();
        try {
            assertEquals(Bundle.ACTIVE, find(second, "test.c").getState(), "started at the next launch");
        } finally {
            FrameworkLauncher.stop(second);
        }
        Framework third = launch();
        try {
            assertEquals(Bundle.ACTIVE, find(third, "test.c").getState());
            find(third, "test.c").stop(); // an admin's stop of a recorded bundle is kept
        } finally {
            FrameworkLauncher.stop(third);
        }
        Framework fourth = launch();
        try {
            assertTrue(find(fourth, "test.c").getState() != Bundle.ACTIVE, "an admin's stop is not undone");
        } finally {
            FrameworkLauncher.stop(fourth);
        }
    }

    @Test
    void updatesChangedProfileBundlesAndUninstallsRemovedOnes() throws Exception {
        setUp();
        FrameworkLauncher.stop(launch());

        Files.write(profileBundles().resolve("a.jar"), bundle("test.a", "1.1.0", "changed"));
        Files.delete(profileBundles().resolve("b.jar"));
        Framework again = launch();
        try {
            assertEquals("1.1.0", find(again, "test.a").getVersion().toString());
            assertNull(find(again, "test.b"), "a bundle no longer in the profile is uninstalled");
        } finally {
            FrameworkLauncher.stop(again);
        }
    }

    @Test
    void aStartThatInstallsOrUpdatesBundlesLeavesTheClassDataArchiveToTheNext() throws Exception {
        setUp();
        String before = System.getProperty(FrameworkLauncher.CDS_ARCHIVE_PROPERTY);
        try {
            System.setProperty(FrameworkLauncher.CDS_ARCHIVE_PROPERTY, "/tmp/client-1.jsa");
            FrameworkLauncher.stop(launch()); // installs the profile
            assertNull(System.getProperty(FrameworkLauncher.CDS_ARCHIVE_PROPERTY), "the installing start writes no archive");

            System.setProperty(FrameworkLauncher.CDS_ARCHIVE_PROPERTY, "/tmp/client-1.jsa");
            FrameworkLauncher.stop(launch()); // nothing to install: a start like every later one
            assertEquals("/tmp/client-1.jsa", System.getProperty(FrameworkLauncher.CDS_ARCHIVE_PROPERTY));

            Files.write(profileBundles().resolve("a.jar"), bundle("test.a", "1.1.0", "changed"));
            FrameworkLauncher.stop(launch()); // updates a bundle
            assertNull(System.getProperty(FrameworkLauncher.CDS_ARCHIVE_PROPERTY), "the updating start writes no archive");
        } finally {
            if (before == null) {
                System.clearProperty(FrameworkLauncher.CDS_ARCHIVE_PROPERTY);
            } else {
                System.setProperty(FrameworkLauncher.CDS_ARCHIVE_PROPERTY, before);
            }
        }
    }

    @Test
    void anAdminUpdateOfAProfileBundleSurvivesARestartOfTheSameRelease() throws Exception {
        setUp();
        Framework first = launch();
        try {
            find(first, "test.a").update(new ByteArrayInputStream(bundle("test.a", "1.0.1", "hotfix")));
        } finally {
            FrameworkLauncher.stop(first);
        }
        Framework second = launch();
        try {
            assertEquals("1.0.1", find(second, "test.a").getVersion().toString());
        } finally {
            FrameworkLauncher.stop(second);
        }
    }

    /** A crash between runtime management's journal and its commit: the next start is on the old bundle, never a mix. */
    @Test
    void aCrashMidUpdateComesUpOnThePreviousBundleBeforeAnythingStarts() throws Exception {
        setUp();
        Framework first = launch();
        Path previous = data.resolve("platform/previous/test.a.jar");
        try {
            Bundle a = find(first, "test.a");
            Files.createDirectories(previous.getParent());
            Files.write(previous, bundle("test.a", "1.0.0", ""));
            java.util.Properties journal = new java.util.Properties();
            journal.setProperty("action", "update");
            journal.setProperty("bundle.id", Long.toString(a.getBundleId()));
            journal.setProperty("bsn", "test.a");
            journal.setProperty("previous", previous.toString());
            try (var w = Files.newBufferedWriter(data.resolve("platform/journal.properties"))) {
                journal.store(w, null);
            }
            a.update(new ByteArrayInputStream(bundle("test.a", "2.0.0", "half-done")));
            // and the process dies here, before the update was confirmed
        } finally {
            FrameworkLauncher.stop(first);
        }
        Framework second = launch();
        try {
            Bundle a = find(second, "test.a");
            assertEquals("1.0.0", a.getVersion().toString());
            assertEquals(Bundle.ACTIVE, a.getState());
            assertFalse(Files.exists(data.resolve("platform/journal.properties")));
            assertTrue(Files.exists(data.resolve("platform/journal.recovered.properties")), "left for runtime management to record");
        } finally {
            FrameworkLauncher.stop(second);
        }
    }

    @Test
    void aCrashMidInstallComesUpWithoutTheNewBundle() throws Exception {
        setUp();
        Framework first = launch();
        try {
            Files.createDirectories(data.resolve("platform"));
            Files.writeString(data.resolve("platform/journal.properties"),
                    "action=install\nlocation=patchfleet\\:plugin/test.c\nbsn=test.c\n");
            first.getBundleContext().installBundle("patchfleet:plugin/test.c", new ByteArrayInputStream(bundle("test.c", "1.0.0", "")));
        } finally {
            FrameworkLauncher.stop(first);
        }
        Framework second = launch();
        try {
            assertNull(find(second, "test.c"));
            assertNotNull(find(second, "test.a"));
        } finally {
            FrameworkLauncher.stop(second);
        }
    }

    @Test
    void defaultConfigurationIsCopiedOnceAndOperatorEditsStay() throws Exception {
        setUp();
        FrameworkLauncher.stop(launch());
        Path cfg = data.resolve("etc/x.cfg");
        assertEquals("key = default\n", Files.readString(cfg));
        Files.writeString(cfg, "key = operator\n");
        FrameworkLauncher.stop(launch());
        assertEquals("key = operator\n", Files.readString(cfg));
    }

    @Test
    void aMissingProfileIsAClearError() throws Exception {
        home = tmp.resolve("empty");
        data = tmp.resolve("data");
        IllegalStateException e = assertThrows(IllegalStateException.class, this::launch);
        assertTrue(e.getMessage().contains("Profile 'test' not found"), e.getMessage());
        assertFalse(Files.exists(data.resolve("framework")), "nothing written for a failed start");
    }

    @Test
    void aBundlesPreloadRunsOnItsOwnThreadWithTheFrameworkPropertiesAndAFailingOneStopsNothing() throws Exception {
        setUp();
        // Given two bundles that declare a preload: one records where and with what it ran, one throws
        Path out = tmp.resolve("preload.out");
        Files.write(profileBundles().resolve("p.jar"), bundleWithClass("test.preload", "test.p.Recorder", """
                package test.p;
                public class Recorder implements java.util.function.Consumer<java.util.Map<String, String>> {
                    public void accept(java.util.Map<String, String> properties) {
                        try {
                            java.nio.file.Files.writeString(java.nio.file.Path.of(properties.get("test.preload.out")),
                                    Thread.currentThread().getName() + " " + properties.get("patchfleet.profile"));
                        } catch (java.io.IOException e) {
                            throw new java.io.UncheckedIOException(e);
                        }
                    }
                }
                """));
        Files.write(profileBundles().resolve("q.jar"), bundleWithClass("test.failing", "test.q.Fails", """
                package test.q;
                public class Fails implements java.util.function.Consumer<java.util.Map<String, String>> {
                    public void accept(java.util.Map<String, String> properties) {
                        throw new IllegalStateException("preload failed on purpose");
                    }
                }
                """));
        Framework framework = new FrameworkLauncher(home, "test", data, data.resolve("etc"),
                Map.of("test.preload.out", out.toString())).start();
        try {
            // Then the recorder ran on the preload thread with the framework's properties
            awaitLine(out, ""); // the file exists: the preload wrote it
            assertEquals("patchfleet-preload test", Files.readString(out));
            // and the failing preload stopped neither its bundle nor the others
            assertEquals(Bundle.ACTIVE, find(framework, "test.failing").getState());
            assertEquals(Bundle.ACTIVE, find(framework, "test.preload").getState());
            assertEquals(Bundle.ACTIVE, find(framework, "test.a").getState());
        } finally {
            FrameworkLauncher.stop(framework);
        }
    }

    @Test
    void aFirstStartWithAPreloadStartsEveryBundle() throws Exception {
        // A first start installs and starts every bundle on the launcher's thread while the preload
        // runs on its own: a resolve on the preload thread made such a start fail ("Unable to acquire
        // global lock for resolve") for a bundle that was not the preload's. Several first starts.
        Path out = tmp.resolve("preload.out");
        for (int round = 0; round < 5; round++) {
            setUp();
            Files.write(profileBundles().resolve("p.jar"), bundleWithClass("test.preload", "test.p.Recorder", """
                    package test.p;
                    public class Recorder implements java.util.function.Consumer<java.util.Map<String, String>> {
                        public void accept(java.util.Map<String, String> properties) {
                            try {
                                java.nio.file.Files.writeString(java.nio.file.Path.of(properties.get("test.preload.out")), "ran");
                            } catch (java.io.IOException e) {
                                throw new java.io.UncheckedIOException(e);
                            }
                        }
                    }
                    """));
            Path fresh = tmp.resolve("first-" + round);
            Files.deleteIfExists(out);
            Framework framework = new FrameworkLauncher(home, "test", fresh, fresh.resolve("etc"),
                    Map.of("test.preload.out", out.toString())).start();
            try {
                for (Bundle b : framework.getBundleContext().getBundles()) {
                    assertEquals(Bundle.ACTIVE, b.getState(), b.getSymbolicName() + " in round " + round);
                }
                awaitLine(out, ""); // the file exists: the preload wrote it
                assertEquals("ran", Files.readString(out), "the preload ran, on resolved bundles");
            } finally {
                FrameworkLauncher.stop(framework);
            }
        }
    }

    @Test
    void noPreloadRunsForABundleAnAdminInstalledOrStopped() throws Exception {
        setUp();
        Path out = tmp.resolve("preload.out");
        String recorder = """
                package test.%s;
                public class Recorder implements java.util.function.Consumer<java.util.Map<String, String>> {
                    public void accept(java.util.Map<String, String> properties) {
                        try {
                            java.nio.file.Files.writeString(java.nio.file.Path.of(properties.get("test.preload.out")), "%s\\n",
                                    java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
                        } catch (java.io.IOException e) {
                            throw new java.io.UncheckedIOException(e);
                        }
                    }
                }
                """;
        Files.write(profileBundles().resolve("p.jar"), bundleWithClass("test.profile", "test.p.Recorder", recorder.formatted("p", "profile")));
        Map<String, String> props = Map.of("test.preload.out", out.toString());
        Framework first = new FrameworkLauncher(home, "test", data, data.resolve("etc"), props).start();
        try {
            awaitLine(out, "profile");
            // An admin installs and starts a plugin that declares a preload, and stops the profile bundle
            Bundle plugin = first.getBundleContext().installBundle("admin:plugin",
                    new ByteArrayInputStream(bundleWithClass("test.plugin", "test.q.Recorder", recorder.formatted("q", "plugin"))));
            plugin.start();
            find(first, "test.profile").stop();
        } finally {
            FrameworkLauncher.stop(first);
        }
        Files.delete(out);

        // When the launcher starts again, neither preload runs: the plugin is not the distribution's,
        // the profile bundle was stopped on purpose
        Framework second = new FrameworkLauncher(home, "test", data, data.resolve("etc"), props).start();
        try {
            assertEquals(Bundle.ACTIVE, find(second, "test.plugin").getState());
            assertTrue(find(second, "test.profile").getState() != Bundle.ACTIVE, "the stop stays");
            for (Thread t : Thread.getAllStackTraces().keySet()) {
                if (t.getName().equals("patchfleet-preload")) {
                    t.join(20_000); // a preload wrongly started has finished writing
                }
            }
            assertFalse(Files.exists(out), () -> "a preload ran: " + read(out));
        } finally {
            FrameworkLauncher.stop(second);
        }
    }

    private static void awaitLine(Path file, String line) throws Exception {
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(20);
        while (!(Files.exists(file) && Files.readString(file).contains(line)) && System.nanoTime() < deadline) {
            Thread.sleep(10); // polled, bounded by the deadline
        }
        assertTrue(Files.exists(file) && Files.readString(file).contains(line), () -> "no " + line + " in " + read(file));
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            return e.toString();
        }
    }

    @Test
    void startLevelsPutLoggingAndConfigurationFirst() {
        assertEquals(1, FrameworkLauncher.startLevel("slf4j.simple"));
        assertEquals(1, FrameworkLauncher.startLevel("org.apache.felix.configadmin"));
        assertEquals(2, FrameworkLauncher.startLevel("org.apache.felix.scr"));
        assertEquals(3, FrameworkLauncher.startLevel("io.patchfleet.server.http"));
        // The client defers what its first check-in does not need; the server does not
        assertEquals(4, FrameworkLauncher.startLevel("org.apache.felix.metatype", "client"));
        assertEquals(4, FrameworkLauncher.startLevel("io.patchfleet.platform.admin", "client"));
        assertEquals(3, FrameworkLauncher.startLevel("io.patchfleet.client", "client"));
        assertEquals(1, FrameworkLauncher.startLevel("org.apache.felix.metatype", "server"));
        assertEquals(3, FrameworkLauncher.startLevel("io.patchfleet.platform.admin", "server"));
    }

    private static Bundle find(Framework framework, String bsn) {
        return Arrays.stream(framework.getBundleContext().getBundles())
                .filter(b -> bsn.equals(b.getSymbolicName())).findFirst().orElse(null);
    }

    /** A bundle holding one class compiled from SOURCE and naming it in its Patchfleet-Preload header. */
    private Path compileDir;

    private byte[] bundleWithClass(String bsn, String className, String source) throws IOException {
        compileDir = Files.createDirectories(tmp.resolve("classes-" + bsn));
        Path src = compileDir.resolve(className.substring(className.lastIndexOf('.') + 1) + ".java");
        Files.writeString(src, source);
        javax.tools.JavaCompiler javac = javax.tools.ToolProvider.getSystemJavaCompiler();
        assertEquals(0, javac.run(null, null, null, "-d", compileDir.toString(), src.toString()), "compiled");
        Manifest mf = new Manifest();
        Attributes a = mf.getMainAttributes();
        a.put(Attributes.Name.MANIFEST_VERSION, "1.0");
        a.putValue("Bundle-ManifestVersion", "2");
        a.putValue("Bundle-SymbolicName", bsn);
        a.putValue("Bundle-Version", "1.0.0");
        a.putValue(FrameworkLauncher.PRELOAD_HEADER, className);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (JarOutputStream jar = new JarOutputStream(out, mf)) {
            String entry = className.replace('.', '/') + ".class";
            jar.putNextEntry(new java.util.jar.JarEntry(entry));
            jar.write(Files.readAllBytes(compileDir.resolve(entry)));
            jar.closeEntry();
        }
        return out.toByteArray();
    }

    static byte[] bundle(String bsn, String version, String marker) throws IOException {
        Manifest mf = new Manifest();
        Attributes a = mf.getMainAttributes();
        a.put(Attributes.Name.MANIFEST_VERSION, "1.0");
        a.putValue("Bundle-ManifestVersion", "2");
        a.putValue("Bundle-SymbolicName", bsn);
        a.putValue("Bundle-Version", version);
        a.putValue("X-Marker", marker);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new JarOutputStream(out, mf).close();
        return out.toByteArray();
    }
}
