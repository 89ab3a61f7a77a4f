package io.patchfleet.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import com.fasterxml.jackson.databind.ObjectMapper;

/** Sends one request to the client daemon's control socket and reads its one-line answer. */
public final class ControlClient {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    /** The daemon could not be reached: not running, or no permission on its socket. */
    public static final class UnreachableException extends Exception {
        private static final long serialVersionUID = 1L;

        UnreachableException(String message) {
            super(message);
        }
    }

    private final Path socket;

    public ControlClient(Path socket) {
        this.socket = socket;
    }

    /** Returns the daemon's response object: {@code ok} plus {@code result} or {@code error}. */
    public Map<String, Object> call(String command, Map<String, Object> arguments) throws UnreachableException, IOException {
        if (!Files.exists(socket)) {
            throw new UnreachableException("The Patchfleet client daemon is not running (no control socket at " + socket
                    + "); start it with 'patchfleet client'");
        }
        try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            try {
                channel.connect(UnixDomainSocketAddress.of(socket));
            } catch (IOException e) {
                throw new UnreachableException("Cannot reach the Patchfleet client daemon at " + socket + ": "
                        + e.getMessage() + (Files.isReadable(socket) ? "" : " (run as the daemon's user or root)"));
            }
            Map<String, Object> request = new LinkedHashMap<>();
            request.put("command", command);
            request.put("arguments", arguments);
            OutputStream out = Channels.newOutputStream(channel);
            out.write(MAPPER.writeValueAsBytes(request));
            out.write('\n');
            out.flush();
            BufferedReader in = new BufferedReader(new InputStreamReader(Channels.newInputStream(channel), StandardCharsets.UTF_8));
            String line = in.readLine();
            if (line == null) {
                throw new IOException("The client daemon closed the connection without answering");
            }
            @SuppressWarnings("unchecked")
            Map<String, Object> response = MAPPER.readValue(line, Map.class);
            return response;
        }
    }
}
