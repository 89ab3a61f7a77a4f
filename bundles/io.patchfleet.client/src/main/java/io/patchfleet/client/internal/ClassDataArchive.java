package io.patchfleet.client.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;

/**
 * Writes the client's class-data archive (AppCDS, a dynamic archive) at one defined moment: right
 * after the first successful check-in of a client process that {@code bin/patchfleet} started to
 * record one (it does so while no archive exists for this JVM and distribution).
 *
 * <p>Why then, and not when the JVM exits ({@code -XX:ArchiveClassesAtExit}, as before): an
 * archive written at exit holds whatever the first command happened to load before it ended — a
 * daemon stopped before its first check-in, one that also served {@code enable} and
 * {@code config}, or a failing {@code --once} — so its contents, and the next starts' CPU and
 * memory, depended on history. After the first successful check-in the process has loaded
 * exactly what every later start loads to reach its first check-in: the framework, the
 * profile's bundles, the TUF verifier, the HTTP client and the wire types. Classes that were
 * loaded but not yet linked at exit were also skipped by the at-exit dump (Jackson's, among
 * others), and then parsed again at every start.
 *
 * <p>How: the JVM was started with {@code -XX:+RecordDynamicDumpInfo}; {@code jcmd PID VM.cds
 * dynamic_dump FILE} (JDK 17+) asks it to write the archive now. The file is written under a
 * temporary name and moved into place, so a start never maps a half-written archive; a JVM that
 * finds the archive unusable (another JVM build, changed jars) ignores it ({@code -Xshare:auto}),
 * and the script names archives by the JVM and the distribution's files anyway.
 */
final class ClassDataArchive {

    private static final Logger LOG = AgentLog.logger(ClassDataArchive.class);

    private final Path archive;
    private final Path jcmd;
    private boolean done;

    private ClassDataArchive(Path archive, Path jcmd) {
        this.archive = archive;
        this.jcmd = jcmd;
    }

    /** The archive to write, when the launcher asked for one ({@code patchfleet.cds.archive} and {@code patchfleet.cds.jcmd}); else null. */
    static ClassDataArchive requested(String archive, String jcmd) {
        if (archive == null || archive.isBlank() || jcmd == null || jcmd.isBlank()) {
            return null;
        }
        return new ClassDataArchive(Path.of(archive), Path.of(jcmd));
    }

    /** After a successful check-in: writes the archive the first time; later calls do nothing. */
    synchronized void afterCheckIn() {
        if (done) {
            return;
        }
        done = true;
        if (Files.exists(archive)) {
            return; // another client process wrote it meanwhile
        }
        long pid = ProcessHandle.current().pid();
        Path part = archive.resolveSibling(archive.getFileName() + ".part." + pid);
        long started = System.nanoTime();
        try {
            Process p = new ProcessBuilder(List.of(jcmd.toString(), Long.toString(pid), "VM.cds", "dynamic_dump", part.toString()))
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException(jcmd + " did not finish within 120 s");
            }
            if (p.exitValue() != 0 || !Files.isRegularFile(part) || Files.size(part) == 0) {
                throw new IOException(jcmd + " VM.cds dynamic_dump exited with " + p.exitValue() + " and no archive");
            }
            Files.move(part, archive, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            LOG.info("Class-data archive written to {} after the first check-in ({} ms); later starts map it",
                    archive, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
        } catch (IOException e) {
            LOG.warn("Class-data archive not written ({}); the client runs without one", e.getMessage());
            deleteQuietly(part);
        } catch (InterruptedException e) {
            deleteQuietly(part);
            Thread.currentThread().interrupt();
        }
    }

    private static void deleteQuietly(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException ignored) {
            // a leftover part file is removed by the launcher script at the next start
        }
    }
}
