package io.patchfleet.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The admin session of {@code patchfleet admin login}: {server, token, expiresAt, user, role} in
 * {@code $XDG_CONFIG_HOME/patchfleet/admin.json}, else {@code ~/.config/patchfleet/admin.json};
 * the file owner-only (0600) in an owner-only directory (0700), written atomically.
 */
public final class AdminSession {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** What login stored. */
    public record Stored(String server, String token, String expiresAt, String user, String role) {}

    private final Path file;

    AdminSession(Path file) {
        this.file = file;
    }

    /** The session file for this environment. */
    static AdminSession of(Map<String, String> env) {
        String xdg = env.get("XDG_CONFIG_HOME");
        Path config = xdg != null && !xdg.isBlank() ? Path.of(xdg)
                : Path.of(env.getOrDefault("HOME", System.getProperty("user.home")), ".config");
        return new AdminSession(config.resolve("patchfleet").resolve("admin.json"));
    }

    Path file() {
        return file;
    }

    Optional<Stored> read() {
        if (!Files.isRegularFile(file)) {
            return Optional.empty();
        }
        try {
            Map<?, ?> m = JSON.readValue(file.toFile(), Map.class);
            return Optional.of(new Stored(str(m.get("server")), str(m.get("token")), str(m.get("expiresAt")),
                    str(m.get("user")), str(m.get("role"))));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    private static String str(Object o) {
        return o == null ? null : String.valueOf(o);
    }

    void write(Stored s) throws IOException {
        Path dir = file.getParent();
        if (!Files.isDirectory(dir)) {
            Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        }
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("server", s.server());
        m.put("token", s.token());
        m.put("expiresAt", s.expiresAt());
        m.put("user", s.user());
        m.put("role", s.role());
        Path tmp = Files.createTempFile(dir, ".admin", ".tmp",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        try {
            Files.write(tmp, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(m).getBytes(StandardCharsets.UTF_8));
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    boolean delete() throws IOException {
        return Files.deleteIfExists(file);
    }
}
