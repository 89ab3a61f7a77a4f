package io.patchfleet.it.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.runtime.ServiceComponentRuntime;
import org.osgi.test.common.annotation.InjectBundleContext;
import org.osgi.test.common.annotation.InjectService;

import com.fasterxml.jackson.databind.ObjectMapper;

import io.patchfleet.cli.ControlClient;
import io.patchfleet.it.support.FrameworkChecks;
import io.patchfleet.cli.DataDirectories;
import io.patchfleet.cli.ExitCodes;
import io.patchfleet.cli.StatusCommand;
import picocli.CommandLine;

/** The client profile as shipped: daemon and control socket up; the CLI talks to it. */
class ClientProfileTest {

    @InjectBundleContext
    BundleContext context;

    @InjectService(timeout = 20_000)
    ServiceComponentRuntime scr;

    /** The control socket component registers a service with this marker once it listens. */
    @org.junit.jupiter.api.BeforeEach
    void awaitControlSocket() throws Exception {
        var tracker = new org.osgi.util.tracker.ServiceTracker<Object, Object>(context,
                context.createFilter("(patchfleet.ready=control)"), null);
        tracker.open(true);
        try {
            assertTrue(tracker.waitForService(20_000) != null, "control socket ready within 20 s");
        } finally {
            tracker.close();
        }
    }

    private Path data() {
        return Path.of(context.getProperty("patchfleet.data"));
    }

    @Test
    void everyBundleIsActiveAndEveryComponentSatisfied() {
        FrameworkChecks.assertEveryBundleActive(context);
        FrameworkChecks.assertEveryComponentSatisfied(scr, "io.patchfleet.client", 2);
    }

    @Test
    void theControlSocketIsOwnerOnly() throws Exception {
        Path socket = DataDirectories.controlSocket(data());
        assertTrue(Files.exists(socket), "socket at " + socket);
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(socket)));
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(socket.getParent())));
    }

    @Test
    void statusSaysNotEnabledWithExitCode1() {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = new CommandLine(new StatusCommand(null));
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int code = cl.execute("--data", data().toString());
        assertEquals(ExitCodes.NOT_ENABLED, code, err.toString());
        assertTrue(out.toString().contains("not enabled"), out.toString());

        StringWriter json = new StringWriter();
        cl.setOut(new PrintWriter(json));
        assertEquals(ExitCodes.NOT_ENABLED, cl.execute("--data", data().toString(), "--format", "json"));
        assertTrue(json.toString().contains("\"enabled\" : false"), json.toString());
        assertTrue(json.toString().contains("\"clientVersion\" : \"it\""), json.toString());
    }

    @Test
    void statusWithoutADaemonSaysSoWithExitCode3(@org.junit.jupiter.api.io.TempDir Path elsewhere) {
        StringWriter err = new StringWriter();
        CommandLine cl = new CommandLine(new StatusCommand(null));
        cl.setErr(new PrintWriter(err));
        assertEquals(ExitCodes.DAEMON_UNREACHABLE, cl.execute("--data", elsewhere.toString()));
        assertTrue(err.toString().contains("not running"), err.toString());
    }

    @Test
    void badRequestsOnTheSocketGetClearErrors() throws Exception {
        ControlClient client = new ControlClient(DataDirectories.controlSocket(data()));
        Map<String, Object> unknown = client.call("no-such-verb", Map.of());
        assertEquals(false, unknown.get("ok"));
        assertEquals("unknown-command", ((Map<?, ?>) unknown.get("error")).get("code"));

        Map<?, ?> malformed = raw("{not json\n");
        assertEquals(false, malformed.get("ok"));
        assertEquals("bad-request", ((Map<?, ?>) malformed.get("error")).get("code"));

        // An endless line is cut off at the limit instead of filling the daemon's memory.
        Map<?, ?> endless = raw("x".repeat(70_000) + "\n");
        assertEquals("bad-request", ((Map<?, ?>) endless.get("error")).get("code"));

        // The daemon still serves afterwards.
        assertEquals(true, client.call("status", Map.of()).get("ok"));
    }

    private Map<?, ?> raw(String request) throws Exception {
        try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            channel.connect(UnixDomainSocketAddress.of(DataDirectories.controlSocket(data())));
            ByteBuffer out = ByteBuffer.wrap(request.getBytes(StandardCharsets.UTF_8));
            while (out.hasRemaining()) {
                channel.write(out);
            }
            channel.shutdownOutput();
            ByteBuffer in = ByteBuffer.allocate(64 * 1024);
            while (channel.read(in) > 0) {
                // read until the daemon closes
            }
            String answer = new String(in.array(), 0, in.position(), StandardCharsets.UTF_8);
            assertFalse(answer.isBlank(), "the daemon answered");
            return new ObjectMapper().readValue(answer, Map.class);
        }
    }
}
