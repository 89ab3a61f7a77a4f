package io.patchfleet.launcher;

import java.net.InetAddress;
import java.net.StandardProtocolFamily;
import java.net.URI;
import java.nio.channels.ServerSocketChannel;
import java.security.MessageDigest;
import java.text.SimpleDateFormat;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Locale;
import java.util.TimeZone;

/**
 * First use of the JDK facilities every profile's start needs, on a background thread while the
 * main thread initializes the framework.
 *
 * <p>Why: for its first ~0.3 s a start is the main thread's framework initialization, one core,
 * while the other mostly idles; then the framework starts the bundles, and the bundles, the
 * preloads, the JIT and the collector keep both cores busy up to the client's first check-in.
 * The JDK's first date format (Jackson's, ~30 ms), its security providers, a Unix-domain socket
 * channel (the control socket, ~15 ms) and the HTTP handler were initialized in that busy phase;
 * here they are initialized once, on the idle core, and what the bundles do later finds them
 * ready (BENCHMARKS.md, client footprint).
 *
 * <p>JDK classes only, nothing of a bundle; no file or network I/O (a socket channel is opened
 * and closed unbound; an HTTP connection object is made, never connected). A step that fails is
 * skipped: the same work then happens where it is needed, as before.
 */
final class JdkWarmUp implements Runnable {
    private final List<String> done = new ArrayList<>();

    /** Starts it on a daemon thread. */
    static Thread start() {
        Thread t = new Thread(new JdkWarmUp(), "patchfleet-jdk-warmup");
        t.setDaemon(true);
        t.setPriority(Thread.NORM_PRIORITY - 1);
        t.start();
        return t;
    }

    @Override
    public void run() {
        step("date format", () -> {
            SimpleDateFormat f = new SimpleDateFormat("EEE, dd MMM yyyy HH:mm:ss zzz", Locale.US);
            f.setTimeZone(TimeZone.getTimeZone("UTC"));
            f.format(new Date(0));
        });
        step("java.time", () -> DateTimeFormatter.ISO_INSTANT.format(Instant.now()));
        step("security providers", () -> MessageDigest.getInstance("SHA-256").digest(new byte[1]));
        step("unix socket", () -> {
            ServerSocketChannel.open(StandardProtocolFamily.UNIX).close();
        });
        step("http", () -> URI.create("http://127.0.0.1/").toURL().openConnection());
        step("loopback", InetAddress::getLoopbackAddress);
    }

    /** The steps that completed, in order; for tests. */
    List<String> done() {
        return List.copyOf(done);
    }

    private interface Step {
        Object run() throws Exception;
    }

    private interface VoidStep {
        void run() throws Exception;
    }

    private void step(String name, Step s) {
        try {
            s.run();
            done.add(name);
        } catch (Exception | LinkageError e) {
            // not available here (no Unix-domain sockets, a restricted JDK): done later where needed
        }
    }

    private void step(String name, VoidStep s) {
        step(name, () -> {
            s.run();
            return null;
        });
    }
}
