package io.patchfleet.it.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.test.common.annotation.InjectBundleContext;

import io.patchfleet.cli.ExitCodes;
import io.patchfleet.cli.LocalPluginCommand;
import io.patchfleet.platform.admin.PluginSignature;
import picocli.CommandLine;

/** {@code patchfleet plugin …} against the running client daemon, through its control socket. */
class ClientPluginTest {
    private static final String BSN = "io.patchfleet.it.clientplugin";

    @InjectBundleContext
    BundleContext context;

    @TempDir
    Path dir;

    private KeyPair key;
    private String out;
    private String err;

    @BeforeEach
    void setUp() throws Exception {
        var tracker = new org.osgi.util.tracker.ServiceTracker<Object, Object>(context,
                context.createFilter("(patchfleet.ready=control)"), null);
        tracker.open(true);
        try {
            assertTrue(tracker.waitForService(20_000) != null, "control socket ready within 20 s");
        } finally {
            tracker.close();
        }
        key = PluginSignature.generateKeyPair();
        Path trust = data().resolve("etc").resolve("plugin-trust");
        Files.createDirectories(trust);
        Files.writeString(trust.resolve("it-client.pub"), PluginSignature.pem(key.getPublic()));
    }

    private Path data() {
        return Path.of(context.getProperty("patchfleet.data"));
    }

    private int run(String... args) {
        StringWriter o = new StringWriter();
        StringWriter e = new StringWriter();
        CommandLine cl = LocalPluginCommand.commandLine(null);
        cl.setOut(new PrintWriter(o));
        cl.setErr(new PrintWriter(e));
        String[] all = new String[args.length + 2];
        System.arraycopy(args, 0, all, 0, args.length);
        all[args.length] = "--data";
        all[args.length + 1] = data().toString();
        int code = cl.execute(all);
        out = o.toString();
        err = e.toString();
        return code;
    }

    private static byte[] bundle(String version) throws Exception {
        Manifest mf = new Manifest();
        Attributes a = mf.getMainAttributes();
        a.put(Attributes.Name.MANIFEST_VERSION, "1.0");
        a.putValue("Bundle-ManifestVersion", "2");
        a.putValue("Bundle-SymbolicName", BSN);
        a.putValue("Bundle-Version", version);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        new JarOutputStream(bytes, mf).close();
        return bytes.toByteArray();
    }

    @Test
    void aSignedPluginIsInstalledListedUpdatedAndUninstalledThroughTheSocket() throws Exception {
        Path jar = dir.resolve("plugin.jar");
        Files.write(jar, bundle("1.0.0"));
        Files.write(dir.resolve("plugin.jar.sig"), PluginSignature.sign(Files.readAllBytes(jar), key.getPrivate(), key.getPublic()).toBytes());
        try {
            assertEquals(ExitCodes.OK, run("install", jar.toString(), "--format", "json"), err);
            assertTrue(out.contains("\"signer\" : \"it-client\""), out);

            assertEquals(ExitCodes.OK, run("list"), err);
            assertTrue(out.contains(BSN) && out.contains("it-client"), out);
            assertTrue(out.contains("io.patchfleet.platform.admin"), out);

            Path v2 = dir.resolve("plugin-2.jar");
            Files.write(v2, bundle("2.0.0"));
            Files.write(dir.resolve("plugin-2.jar.sig"), PluginSignature.sign(Files.readAllBytes(v2), key.getPrivate(), key.getPublic()).toBytes());
            assertEquals(ExitCodes.OK, run("update", BSN, v2.toString(), "--format", "json"), err);
            assertTrue(out.contains("\"version\" : \"2.0.0\""), out);

            assertEquals(ExitCodes.OK, run("uninstall", BSN), err);
            assertFalse(installed());
        } finally {
            for (Bundle b : context.getBundles()) {
                if (BSN.equals(b.getSymbolicName())) {
                    b.uninstall();
                }
            }
        }
    }

    @Test
    void anUnsignedOrTamperedJarIsRefusedWithExit4() throws Exception {
        Path jar = dir.resolve("unsigned.jar");
        Files.write(jar, bundle("1.0.0"));
        assertEquals(ExitCodes.FAILED, run("install", jar.toString()));
        assertTrue(err.contains("not signed"), err);

        Files.write(dir.resolve("unsigned.jar.sig"), PluginSignature.sign(bundle("9.9.9"), key.getPrivate(), key.getPublic()).toBytes());
        assertEquals(ExitCodes.FAILED, run("install", jar.toString()));
        assertTrue(err.contains("do not match"), err);
        assertFalse(installed());
    }

    @Test
    void clientConfigurationIsCheckedAgainstItsMetatype() throws Exception {
        assertEquals(ExitCodes.USAGE, run("config", "set", "io.patchfleet.client", "check.interval=often"));
        assertTrue(err.contains("check.interval"), err);
        try {
            assertEquals(ExitCodes.OK, run("config", "set", "io.patchfleet.client", "check.interval=30", "--format", "json"), err);
            assertTrue(out.contains("\"check.interval\" : 30"), out);
            assertEquals(ExitCodes.OK, run("config", "get", "io.patchfleet.client"), err);
            assertTrue(out.contains("check.interval = 30"), out);
        } finally {
            run("config", "delete", "io.patchfleet.client");
        }
    }

    private boolean installed() {
        for (Bundle b : context.getBundles()) {
            if (BSN.equals(b.getSymbolicName())) {
                return true;
            }
        }
        return false;
    }
}
