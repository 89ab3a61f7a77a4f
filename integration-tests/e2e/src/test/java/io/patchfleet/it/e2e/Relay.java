package io.patchfleet.it.e2e;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A TCP relay on 127.0.0.1 in front of the real server, which a test takes down (connections
 * refused, open ones cut) and brings back on the same port: the server "down" for the client,
 * while the real server and its port stay as they are for the rest of the run.
 */
final class Relay implements AutoCloseable {
    private final String host;
    private final int targetPort;
    private final int port;
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private volatile ServerSocket listener;

    Relay(String host, int targetPort) throws IOException {
        this.host = host;
        this.targetPort = targetPort;
        this.port = listen(0);
    }

    String url() {
        return "http://127.0.0.1:" + port;
    }

    /** Refuses new connections and cuts the open ones. */
    synchronized void down() throws IOException {
        listener.close();
        for (Socket s : open) {
            s.close();
        }
        open.clear();
    }

    /** Listens again on the same port. */
    synchronized void up() throws IOException {
        listen(port);
    }

    private int listen(int onPort) throws IOException {
        ServerSocket ss = new ServerSocket();
        ss.setReuseAddress(true);
        ss.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), onPort));
        listener = ss;
        Thread accept = new Thread(() -> {
            while (!ss.isClosed()) {
                try {
                    Socket in = ss.accept();
                    Socket out = new Socket(host, targetPort);
                    open.add(in);
                    open.add(out);
                    pump(in, out);
                    pump(out, in);
                } catch (IOException e) {
                    // closed by down()
                }
            }
        }, "relay-accept");
        accept.setDaemon(true);
        accept.start();
        return ss.getLocalPort();
    }

    private void pump(Socket from, Socket to) {
        Thread t = new Thread(() -> {
            try (InputStream in = from.getInputStream(); OutputStream o = to.getOutputStream()) {
                in.transferTo(o);
            } catch (IOException e) {
                // either side closed
            } finally {
                try {
                    from.close();
                    to.close();
                } catch (IOException e) {
                    // already closed
                }
                open.remove(from);
                open.remove(to);
            }
        }, "relay-pump");
        t.setDaemon(true);
        t.start();
    }

    @Override
    public synchronized void close() throws IOException {
        down();
    }
}
