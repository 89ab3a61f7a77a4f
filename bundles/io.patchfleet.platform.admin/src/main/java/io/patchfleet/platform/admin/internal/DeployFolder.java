package io.patchfleet.platform.admin.internal;

import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.jar.Manifest;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.patchfleet.platform.admin.PluginException;
import io.patchfleet.platform.admin.PluginManager;
import io.patchfleet.platform.admin.PluginSignature;

/**
 * The deploy folder ({@code DATA/deploy}) for operators who prefer files. Every change goes
 * through the same {@link PluginManager} calls as the admin API — signature check, metatype
 * validation, transactional start with rollback, change records — as actor {@code deploy-folder}.
 *
 * <ul>
 * <li>{@code NAME.jar} (with {@code NAME.jar.sig}): installed, or updates the bundle with its
 *     symbolic name. Processed once its size and time stayed the same over two scans, so a copy
 *     in progress is never read half-written.</li>
 * <li>Removing {@code NAME.jar} uninstalls the bundle it installed (never a profile bundle).</li>
 * <li>{@code PID.cfg} ({@code key = value} lines): set through the metatype check; removing it
 *     deletes that configuration.</li>
 * <li>A refused or rolled-back file gets {@code NAME.error} beside it saying why; it is tried
 *     again when the file (or its signature) changes.</li>
 * </ul>
 * What was applied is kept in {@code DATA/platform/deploy.properties} (file → SHA-256, bundle or
 * PID), so a restart does not apply a file again.
 */
final class DeployFolder {
    private static final Logger LOG = LoggerFactory.getLogger(DeployFolder.class);
    static final String ACTOR = "deploy-folder";

    private record Seen(long size, long modified) {}

    private final Path folder;
    private final Path stateFile;
    private final PluginManager manager;
    private final Map<String, Seen> lastScan = new HashMap<>();

    DeployFolder(Path folder, Path stateFile, PluginManager manager) {
        this.folder = folder;
        this.stateFile = stateFile;
        this.manager = manager;
    }

    Path folder() {
        return folder;
    }

    /** One scan; called from the manager's scheduler. Never throws. */
    void scan() {
        try {
            Files.createDirectories(folder);
            Properties applied = StateFiles.read(stateFile);
            Set<String> present = new TreeSet<>();
            Map<String, Seen> now = new HashMap<>();
            try (DirectoryStream<Path> files = Files.newDirectoryStream(folder)) {
                for (Path f : files) {
                    String name = f.getFileName().toString();
                    if (Files.isRegularFile(f) && (name.endsWith(".jar") || name.endsWith(".cfg") || name.endsWith(".sig"))) {
                        now.put(name, new Seen(Files.size(f), Files.getLastModifiedTime(f).toMillis()));
                        if (!name.endsWith(".sig")) {
                            present.add(name);
                        }
                    }
                }
            }
            boolean changed = false;
            for (String name : present) {
                Seen seen = now.get(name);
                Seen sigSeen = now.get(name + ".sig");
                boolean stable = seen.equals(lastScan.get(name)) && (sigSeen == null || sigSeen.equals(lastScan.get(name + ".sig")));
                if (!stable) {
                    continue;
                }
                changed |= apply(name, applied);
            }
            for (String name : new TreeSet<>(applied.stringPropertyNames())) {
                if (name.endsWith(".sha256") || name.endsWith(".failed")) {
                    String file = name.substring(0, name.lastIndexOf('.'));
                    if (!present.contains(file)) {
                        changed |= remove(file, applied);
                    }
                }
            }
            lastScan.clear();
            lastScan.putAll(now);
            if (changed) {
                StateFiles.write(stateFile, applied, "Files of the deploy folder applied: SHA-256 and what they became");
            }
        } catch (IOException | RuntimeException e) {
            LOG.error("Deploy folder {}: scan failed: {}", folder, e.getMessage(), e);
        }
    }

    private boolean apply(String name, Properties applied) throws IOException {
        Path file = folder.resolve(name);
        byte[] bytes = Files.readAllBytes(file);
        Path sigFile = folder.resolve(name + ".sig");
        byte[] sig = Files.isRegularFile(sigFile) ? Files.readAllBytes(sigFile) : null;
        String digest = PluginSignature.sha256Hex(bytes) + (sig == null ? "" : "+" + PluginSignature.sha256Hex(sig));
        if (digest.equals(applied.getProperty(name + ".sha256")) || digest.equals(applied.getProperty(name + ".failed"))) {
            return false;
        }
        Path error = folder.resolve(name + ".error");
        try {
            if (name.endsWith(".jar")) {
                Manifest mf = PlatformAdmin.manifest(bytes);
                String bsn = PlatformAdmin.symbolicName(mf);
                boolean exists = manager.list().stream().anyMatch(p -> p.symbolicName().equals(bsn));
                if (exists) {
                    manager.update(bsn, bytes, sig, ACTOR);
                } else {
                    manager.install(bytes, sig, ACTOR);
                }
                applied.setProperty(name + ".bundle", bsn);
                LOG.info("Deploy folder: {} {} ({})", exists ? "updated" : "installed", bsn, name);
            } else {
                String pid = name.substring(0, name.length() - ".cfg".length());
                Properties p = new Properties();
                p.load(new StringReader(new String(bytes, StandardCharsets.UTF_8)));
                Map<String, String> values = new LinkedHashMap<>();
                for (String k : p.stringPropertyNames()) {
                    values.put(k, p.getProperty(k));
                }
                manager.setConfig(pid, values, ACTOR);
                applied.setProperty(name + ".pid", pid);
                LOG.info("Deploy folder: configuration {} set from {}", pid, name);
            }
            applied.setProperty(name + ".sha256", digest);
            applied.remove(name + ".failed");
            Files.deleteIfExists(error);
        } catch (PluginException e) {
            StringBuilder text = new StringBuilder(e.code()).append(": ").append(e.getMessage()).append('\n');
            e.problems().forEach(p -> text.append("  ").append(p.field()).append(": ").append(p.reason()).append('\n'));
            Files.writeString(error, text.toString(), StandardCharsets.UTF_8);
            applied.setProperty(name + ".failed", digest);
            LOG.warn("Deploy folder: {} refused ({}): {}; see {}", name, e.code(), e.getMessage(), error);
        }
        return true;
    }

    private boolean remove(String name, Properties applied) throws IOException {
        String bsn = applied.getProperty(name + ".bundle");
        String pid = applied.getProperty(name + ".pid");
        try {
            if (bsn != null) {
                manager.uninstall(bsn, ACTOR);
                LOG.info("Deploy folder: {} removed, {} uninstalled", name, bsn);
            } else if (pid != null) {
                manager.deleteConfig(pid, ACTOR);
                LOG.info("Deploy folder: {} removed, configuration {} deleted", name, pid);
            }
        } catch (PluginException e) {
            LOG.warn("Deploy folder: {} removed, but {}: {}", name, e.code(), e.getMessage());
        }
        applied.remove(name + ".sha256");
        applied.remove(name + ".bundle");
        applied.remove(name + ".pid");
        applied.remove(name + ".failed");
        Files.deleteIfExists(folder.resolve(name + ".error"));
        return true;
    }
}
