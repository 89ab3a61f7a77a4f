package io.patchfleet.cli.publisher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.patchfleet.cli.ExitCodes;
import io.patchfleet.platform.admin.PluginSignature;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code patchfleet publisher plugin keygen|sign|verify}, and what the server's check makes of the result. */
class PluginSigningCommandTest {
    @TempDir
    Path dir;
    String out;
    String err;

    int run(String... args) {
        StringWriter o = new StringWriter();
        StringWriter e = new StringWriter();
        CommandLine cl = new CommandLine(new PublisherCommand(Map.<String, String>of()::get));
        cl.setOut(new PrintWriter(o));
        cl.setErr(new PrintWriter(e));
        int code = cl.execute(args);
        out = o.toString();
        err = e.toString();
        return code;
    }

    @Test
    void keygenSignAndVerifyMakeASignatureTheServersCheckAccepts() throws Exception {
        Path keys = dir.resolve("keys");
        assertEquals(ExitCodes.OK, run("plugin", "keygen", "--name", "acme", "--out", keys.toString()), err);
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(keys.resolve("acme.key"))));
        Path jar = dir.resolve("plugin.jar");
        Files.write(jar, "jar bytes".getBytes());
        assertEquals(ExitCodes.OK, run("plugin", "sign", "--key", keys.resolve("acme.key").toString(), jar.toString()), err);
        Path sig = dir.resolve("plugin.jar.sig");
        PluginSignature parsed = PluginSignature.parse(Files.readAllBytes(sig));
        assertTrue(parsed.verifies(Files.readAllBytes(jar),
                PluginSignature.readPublicKey(Files.readString(keys.resolve("acme.pub")))));
        assertEquals(ExitCodes.OK, run("plugin", "verify", "--pub", keys.resolve("acme.pub").toString(), jar.toString()), err);

        Files.write(jar, "jar bytes, changed".getBytes());
        assertEquals(ExitCodes.FAILED, run("plugin", "verify", "--pub", keys.resolve("acme.pub").toString(), jar.toString()));
        assertTrue(err.contains("does not match"), err);
    }

    @Test
    void keygenNeverOverwritesAKeyAndAMissingKeyIsExit9() throws Exception {
        assertEquals(ExitCodes.OK, run("plugin", "keygen", "--name", "acme", "--out", dir.toString()), err);
        String before = Files.readString(dir.resolve("acme.key"));
        assertEquals(ExitCodes.FAILED, run("plugin", "keygen", "--name", "acme", "--out", dir.toString()));
        assertEquals(before, Files.readString(dir.resolve("acme.key")));
        Path jar = Files.write(dir.resolve("p.jar"), new byte[] {1, 2, 3});
        assertEquals(ExitCodes.KEY_UNAVAILABLE, run("plugin", "sign", "--key", dir.resolve("nope.key").toString(), jar.toString()));
        assertFalse(Files.exists(dir.resolve("p.jar.sig")));
        assertEquals(ExitCodes.USAGE, run("plugin", "keygen", "--name", "bad name", "--out", dir.toString()));
    }
}
