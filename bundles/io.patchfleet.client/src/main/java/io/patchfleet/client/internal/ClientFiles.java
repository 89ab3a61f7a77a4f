package io.patchfleet.client.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * The client's durable state under {@code DATA/client}:
 * <pre>
 * enrollment.json     credential, server, tier, pinned directive key and publisher root (enable)
 * state.json          applied patch, states, last check, directive counter, blocked and crashed patches
 * machine-id          the generated machine id, when /etc/machine-id is missing
 * apply-attempt.json  the crash-loop guard's marker, present only while a module is inserted
 * health.json         the health checks still due after the last apply (absolute times)
 * events/             the event queue
 * tuf/                the trusted publisher metadata (TUF client store)
 * downloads/          partial and verified module downloads
 * patches/            verified modules applied, kept for re-applying at daemon start
 * </pre>
 */
final class ClientFiles {
    private static final Pattern MACHINE_ID = Pattern.compile("[0-9a-f]{32}");

    final Path dir;
    final Path enrollment;
    final Path state;
    final Path attempt;
    final Path health;
    final Path tuf;
    final Path downloads;
    final Path patches;
    final EventQueue events;

    ClientFiles(Path dir) throws IOException {
        this.dir = dir;
        Files.createDirectories(dir);
        enrollment = dir.resolve("enrollment.json");
        state = dir.resolve("state.json");
        attempt = dir.resolve("apply-attempt.json");
        health = dir.resolve("health.json");
        tuf = dir.resolve("tuf");
        downloads = dir.resolve("downloads");
        patches = dir.resolve("patches");
        events = new EventQueue(dir.resolve("events"));
    }

    /** The enrollment last read, with the identity of the file it came from. */
    private record ReadEnrollment(Object fileKey, long modified, long size, Enrollment value) {}

    private volatile ReadEnrollment lastEnrollment;

    /**
     * The enrollment, parsed again only when the file changed: every check-in and every
     * {@code status} needs it, and reading and parsing it each time was a sixth of a no-change
     * check-in's CPU (BENCHMARKS.md, client footprint). The file is only ever replaced whole (a
     * new file renamed over it, see {@link JsonFiles}), so a change shows as another inode, and
     * an edit in place as another modification time or size.
     */
    Optional<Enrollment> enrollment() throws IOException {
        BasicFileAttributes attributes;
        try {
            attributes = Files.readAttributes(enrollment, BasicFileAttributes.class);
        } catch (NoSuchFileException e) {
            lastEnrollment = null;
            return Optional.empty();
        }
        if (!attributes.isRegularFile()) {
            lastEnrollment = null;
            return Optional.empty();
        }
        ReadEnrollment last = lastEnrollment;
        long modified = attributes.lastModifiedTime().to(TimeUnit.NANOSECONDS);
        if (last != null && last.fileKey() != null && last.fileKey().equals(attributes.fileKey()) && last.modified() == modified
                && last.size() == attributes.size()) {
            return Optional.of(last.value());
        }
        Optional<Enrollment> read = JsonFiles.read(enrollment, Enrollment.class);
        lastEnrollment = read.map(e -> new ReadEnrollment(attributes.fileKey(), modified, attributes.size(), e)).orElse(null);
        return read;
    }

    /** Writes the enrollment ({@code enable}); the next read parses the file again. */
    void saveEnrollment(Enrollment e) throws IOException {
        lastEnrollment = null;
        JsonFiles.write(enrollment, e);
    }

    /** Deletes the enrollment ({@code disable}). */
    void deleteEnrollment() throws IOException {
        lastEnrollment = null;
        JsonFiles.delete(enrollment);
    }

    AgentState state() throws IOException {
        return JsonFiles.read(state, AgentState.class).orElseGet(AgentState::initial);
    }

    void save(AgentState s) throws IOException {
        JsonFiles.write(state, s);
    }

    /**
     * This machine's id: {@code /etc/machine-id} (systemd's, as Canonical's client uses), or an
     * id generated once and kept in {@code DATA/client/machine-id} where that file is missing.
     */
    String machineId(Path etcMachineId) throws IOException {
        if (Files.isReadable(etcMachineId)) {
            String id = Files.readString(etcMachineId, StandardCharsets.US_ASCII).trim();
            if (MACHINE_ID.matcher(id).matches()) {
                return id;
            }
        }
        Path own = dir.resolve("machine-id");
        if (Files.isRegularFile(own)) {
            String id = Files.readString(own, StandardCharsets.US_ASCII).trim();
            if (MACHINE_ID.matcher(id).matches()) {
                return id;
            }
        }
        byte[] random = new byte[16];
        new SecureRandom().nextBytes(random);
        String id = HexFormat.of().formatHex(random);
        JsonFiles.writeBytes(own, (id + "\n").getBytes(StandardCharsets.US_ASCII));
        return id;
    }
}
