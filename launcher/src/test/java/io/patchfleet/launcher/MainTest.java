package io.patchfleet.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;

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
}
