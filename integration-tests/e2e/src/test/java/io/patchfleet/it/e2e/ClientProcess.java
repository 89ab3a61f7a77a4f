package io.patchfleet.it.e2e;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import io.patchfleet.cli.ControlClient;
import io.patchfleet.cli.DataDirectories;

/**
 * The real client daemon in its own JVM, started the way an operator starts it: the assembled
 * distribution's {@code bin/patchfleet client --data DIR} (system property
 * {@code patchfleet.launcher}, set by e2e.bndrun to launcher/target/patchfleet). {@link #kill9}
 * sends SIGKILL to that JVM (the script execs java, so the process is the JVM).
 */
final class ClientProcess implements AutoCloseable {
    private final Path dist;
    private final Path data;
    private Process process;
    private int starts;

    ClientProcess(Path dist, Path data) {
        if (!Files.isRegularFile(dist.resolve("lib/patchfleet-launcher.jar"))) {
            throw new IllegalStateException("no assembled distribution at " + dist + ": build the launcher module first");
        }
        this.dist = dist;
        this.data = data;
    }

    Path data() {
        return data;
    }

    /** Starts the daemon and waits until its control socket answers. */
    void start() throws Exception {
        starts++;
        ProcessBuilder pb = new ProcessBuilder("bash", dist.resolve("bin/patchfleet").toString(), "client", "--data", data.toString());
        pb.environment().put("PATCHFLEET_HOME", dist.toString());
        pb.redirectErrorStream(true);
        pb.redirectOutput(ProcessBuilder.Redirect.appendTo(data.resolve("client-" + starts + ".log").toFile()));
        process = pb.start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180); // a loaded machine starts slowly
        while (status() == null) {
            if (!process.isAlive()) {
                throw new IllegalStateException("the client exited with " + process.exitValue() + "; see " + log());
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the client's control socket did not answer within 180 s; see " + log());
            }
            TimeUnit.MILLISECONDS.sleep(50);
        }
    }

    Path log() {
        return data.resolve("client-" + starts + ".log");
    }

    /** SIGKILL: no shutdown hook, no finally block, no flush runs. */
    void kill9() throws InterruptedException {
        process.destroyForcibly();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            throw new IllegalStateException("the client did not die");
        }
    }

    /** {@code status --verbose} over the control socket; null while it does not answer. */
    Map<?, ?> status() {
        try {
            Map<String, Object> r = new ControlClient(DataDirectories.controlSocket(data)).call("status", Map.of("verbose", true));
            return (Map<?, ?>) r.get("result");
        } catch (ControlClient.UnreachableException | IOException | RuntimeException e) {
            return null;
        }
    }

    @Override
    public void close() throws InterruptedException {
        if (process != null && process.isAlive()) {
            process.destroy();
            if (!process.waitFor(20, TimeUnit.SECONDS)) {
                kill9();
            }
        }
    }
}
