package io.patchfleet.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;

import picocli.CommandLine;

class MainTest {

    private static String run(int expectedCode, String... args) {
        CommandLine cl = Main.commandLine();
        StringWriter out = new StringWriter();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(out));
        assertEquals(expectedCode, cl.execute(args), out.toString());
        return out.toString();
    }

    @Test
    void helpListsTheCommandsAndExitCodes() {
        String help = run(0, "--help");
        assertTrue(help.contains("server"), help);
        assertTrue(help.contains("client"), help);
        assertTrue(help.contains("status"), help);
        assertTrue(help.contains("Exit codes"), help);
    }

    @Test
    void everyCommandHasHelp() {
        for (String command : new String[] {"server", "client", "status"}) {
            String help = run(0, command, "--help");
            assertTrue(help.contains("--data"), command + ": " + help);
        }
        assertTrue(run(0, "server", "--help").contains("--port"));
    }

    @Test
    void versionNamesPatchfleet() {
        assertTrue(run(0, "--version").startsWith("patchfleet "));
    }

    @Test
    void unknownOptionsAreUsageErrors() {
        assertTrue(run(2, "server", "--nope").contains("Unknown option"));
    }

    @Test
    void anOutOfRangePortIsRefused() {
        assertTrue(run(4, "server", "--port", "70000", "--data", "target/never").contains("--port must be"));
    }

    /** The daemon's plain start parses exactly what picocli parses, and leaves everything else to picocli. */
    @Test
    void thePlainClientStartAgreesWithPicocli() {
        String[][] accepted = {
            {"client"},
            {"client", "--data", "/var/lib/pf", "--once"},
            {"client", "--data=/d", "--config", "/etc/pf", "--ready-timeout", "5"},
            {"client", "--once", "--config=/c", "--ready-timeout=7"},
        };
        for (String[] args : accepted) {
            ProfileCommand.Client plain = Main.plainClientCommand(args);
            assertNotNull(plain, String.join(" ", args));
            ProfileCommand.Client parsed = new ProfileCommand.Client(Path.of("."));
            new CommandLine(parsed).parseArgs(java.util.Arrays.copyOfRange(args, 1, args.length));
            String what = String.join(" ", args);
            assertEquals(parsed.data, plain.data, what);
            assertEquals(parsed.config, plain.config, what);
            assertEquals(parsed.readyTimeout, plain.readyTimeout, what);
            assertEquals(parsed.once, plain.once, what);
        }
        String[][] toPicocli = {
            {"server"}, {"status"}, {"client", "--help"}, {"client", "-h"}, {"client", "--version"}, {"client", "--nope"},
            {"client", "--data"}, {"client", "--data", "--once"}, {"client", "--data="}, {"client", "--ready-timeout", "x"},
            {"client", "extra"},
        };
        for (String[] args : toPicocli) {
            assertNull(Main.plainClientCommand(args), String.join(" ", args));
        }
    }
}
