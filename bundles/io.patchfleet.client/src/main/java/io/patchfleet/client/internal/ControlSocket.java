package io.patchfleet.client.internal;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.slf4j.Logger;


/**
 * The client's local control endpoint: a Unix domain socket at {@code <data>/run/control.sock},
 * in a directory only the owner may enter, the socket itself owner-only ({@code 0600}). The CLI
 * sends one JSON line {@code {"command": "status", "arguments": {…}}} and reads one JSON line back:
 * {@code {"ok": true, "result": {…}}} or {@code {"ok": false, "error": {"code": …, "message": …}}}.
 *
 * <p>Why a socket rather than HTTP on loopback: file permissions decide who may control the
 * kernel patching of the machine, with no port for other local users to reach.
 */
@Component(service = ControlSocket.class, immediate = true, property = "patchfleet.ready=control")
public class ControlSocket {
    private static final Logger LOG = AgentLog.logger(ControlSocket.class);
    static final int MAX_REQUEST_CHARS = 64 * 1024;

    private final Map<String, ControlCommand> commands = new ConcurrentHashMap<>();
    private final ServerSocketChannel server;
    private final Path socketPath;
    private final ThreadPoolExecutor workers;
    private final Thread acceptor;

    @Activate
    public ControlSocket(BundleContext context) throws IOException {
        Path runDir = DataDirectory.of(context).resolve("run");
        Files.createDirectories(runDir);
        Files.setPosixFilePermissions(runDir, PosixFilePermissions.fromString("rwx------"));
        socketPath = runDir.resolve("control.sock");
        // A socket file left by a killed daemon blocks bind; the framework's storage lock
        // already guarantees that no other daemon runs on this data directory.
        Files.deleteIfExists(socketPath);
        if (socketPath.toString().getBytes(StandardCharsets.UTF_8).length > 107) {
            throw new IOException("Control socket path is too long for a Unix socket (max 107 bytes): " + socketPath
                    + "; choose a shorter --data directory");
        }
        server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(socketPath));
        Files.setPosixFilePermissions(socketPath, PosixFilePermissions.fromString("rw-------"));
        workers = new ThreadPoolExecutor(1, 4, 30, TimeUnit.SECONDS, new ArrayBlockingQueue<>(16), r -> {
            Thread t = new Thread(r, "patchfleet-control");
            t.setDaemon(true);
            return t;
        });
        // No worker idles between commands: the CLI calls rarely, and an idle daemon should not
        // keep a thread (with its stack) for it.
        workers.allowCoreThreadTimeOut(true);
        acceptor = new Thread(this::acceptLoop, "patchfleet-control-accept");
        acceptor.setDaemon(true);
        acceptor.start();
        LOG.info("Control socket listening at {}", socketPath);
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC,
            target = "(" + ControlCommand.NAME + "=*)")
    void addCommand(ControlCommand command, Map<String, Object> props) {
        commands.put(String.valueOf(props.get(ControlCommand.NAME)), command);
    }

    void removeCommand(ControlCommand command, Map<String, Object> props) {
        commands.remove(String.valueOf(props.get(ControlCommand.NAME)), command); // by identity
    }

    Path socketPath() {
        return socketPath;
    }

    @Deactivate
    void deactivate() throws IOException {
        server.close();
        workers.shutdownNow();
        Files.deleteIfExists(socketPath);
    }

    private void acceptLoop() {
        while (server.isOpen()) {
            try {
                SocketChannel channel = server.accept();
                try {
                    workers.execute(() -> serve(channel));
                } catch (RejectedExecutionException e) {
                    respond(channel, error("busy", "The client daemon is busy; try again"));
                    channel.close();
                }
            } catch (ClosedChannelException e) {
                return;
            } catch (IOException e) {
                LOG.warn("Control socket accept failed: {}", e.getMessage());
            }
        }
    }

    private void serve(SocketChannel channel) {
        try (channel) {
            BufferedReader reader = new BufferedReader(new InputStreamReader(Channels.newInputStream(channel), StandardCharsets.UTF_8));
            String line = readBoundedLine(reader);
            respond(channel, dispatch(line));
        } catch (IOException e) {
            LOG.debug("Control connection failed: {}", e.getMessage());
        }
    }

    Map<String, Object> dispatch(String line) {
        if (line == null) {
            return error("bad-request", "Request exceeds " + MAX_REQUEST_CHARS + " characters or is empty");
        }
        Map<?, ?> request;
        try {
            request = JsonFiles.MAPPER.readValue(line, Map.class);
        } catch (IOException e) {
            return error("bad-request", "Request is not JSON: " + e.getMessage());
        }
        Object name = request.get("command");
        ControlCommand command = name instanceof String s ? commands.get(s) : null;
        if (command == null) {
            return error("unknown-command", "Unknown command " + name + "; known: " + commands.keySet());
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> arguments = request.get("arguments") instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
        try {
            Map<String, Object> response = new LinkedHashMap<>();
            response.put("ok", true);
            response.put("result", command.execute(arguments));
            return response;
        } catch (ControlException e) {
            return error(e.code(), e.getMessage());
        } catch (RuntimeException e) {
            LOG.error("Control command {} failed", name, e);
            return error("internal-error", "The command failed inside the daemon; see its log");
        }
    }

    private static String readBoundedLine(BufferedReader reader) throws IOException {
        StringBuilder sb = new StringBuilder();
        int c;
        while ((c = reader.read()) >= 0 && c != '\n') {
            if (sb.length() >= MAX_REQUEST_CHARS) {
                return null;
            }
            sb.append((char) c);
        }
        return sb.length() == 0 ? null : sb.toString();
    }

    private static void respond(SocketChannel channel, Map<String, Object> response) {
        try {
            OutputStream out = Channels.newOutputStream(channel);
            out.write(JsonFiles.COMPACT.writeValueAsBytes(response));
            out.write('\n');
            out.flush();
        } catch (IOException e) {
            LOG.debug("Control response not delivered: {}", e.getMessage());
        }
    }

    private static Map<String, Object> error(String code, String message) {
        Map<String, Object> err = new LinkedHashMap<>();
        err.put("code", code);
        err.put("message", message);
        Map<String, Object> response = new LinkedHashMap<>();
        response.put("ok", false);
        response.put("error", err);
        return response;
    }
}
