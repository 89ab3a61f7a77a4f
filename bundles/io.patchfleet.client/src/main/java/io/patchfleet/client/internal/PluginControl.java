package io.patchfleet.client.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;


import io.patchfleet.platform.admin.PluginException;
import io.patchfleet.platform.admin.PluginManager;

/**
 * {@code plugin} over the control socket: the client's own bundles and configuration, through the
 * same {@link PluginManager} (signature check, metatype validation, rollback) as a server's admin
 * API. Arguments: {@code action} (list, show, install, update, start, stop, uninstall, config-get,
 * config-set, config-delete), {@code bundle}, {@code jar} (an absolute path: the socket is
 * owner-only and local, so the daemon reads the file instead of a 64 KiB request carrying it),
 * {@code signature} (the {@code .sig} text), {@code pid}, {@code values}.
 *
 * <p>Runs on the socket's connection thread, not the agent thread: the manager serializes its own
 * changes, and a check-in in progress is not held up by a plugin change (nor the other way round).
 */
@Component(service = ControlCommand.class, property = ControlCommand.NAME + "=plugin")
public final class PluginControl implements ControlCommand {
    static final String ACTOR = "local-client";

    private final PluginManager plugins;

    @Activate
    public PluginControl(@Reference PluginManager plugins) {
        this.plugins = plugins;
    }

    @Override
    public Map<String, Object> execute(Map<String, Object> args) throws ControlException {
        String action = string(args, "action");
        try {
            Object result = switch (action == null ? "" : action) {
                case "list" -> {
                    Map<String, Object> out = new LinkedHashMap<>();
                    out.put("plugins", plugins.list());
                    out.put("allowUnsigned", plugins.allowsUnsigned());
                    yield out;
                }
                case "show" -> plugins.get(required(args, "bundle"));
                case "install" -> plugins.install(jar(args), signature(args), ACTOR);
                case "update" -> plugins.update(required(args, "bundle"), jar(args), signature(args), ACTOR);
                case "start" -> plugins.start(required(args, "bundle"), ACTOR);
                case "stop" -> plugins.stop(required(args, "bundle"), ACTOR);
                case "uninstall" -> plugins.uninstall(required(args, "bundle"), ACTOR);
                case "config-get" -> plugins.config(required(args, "pid"));
                case "config-set" -> plugins.setConfig(required(args, "pid"), values(args), ACTOR);
                case "config-delete" -> plugins.deleteConfig(required(args, "pid"), ACTOR);
                default -> throw new ControlException("usage", "Unknown plugin action '" + action
                        + "'; one of list, show, install, update, start, stop, uninstall, config-get, config-set, config-delete");
            };
            @SuppressWarnings("unchecked")
            Map<String, Object> json = JsonFiles.MAPPER.convertValue(result, Map.class);
            return json;
        } catch (PluginException e) {
            StringBuilder message = new StringBuilder(e.getMessage());
            if (!e.problems().isEmpty() && !"invalid-config".equals(e.code())) {
                e.problems().forEach(p -> message.append("\n  ").append(p.field()).append(": ").append(p.reason()));
            }
            throw new ControlException(e.code(), message.toString());
        }
    }

    private static String string(Map<String, Object> args, String key) {
        Object v = args.get(key);
        return v == null ? null : String.valueOf(v);
    }

    private static String required(Map<String, Object> args, String key) throws ControlException {
        String v = string(args, key);
        if (v == null || v.isBlank()) {
            throw new ControlException("usage", key + " is required");
        }
        return v;
    }

    private static byte[] jar(Map<String, Object> args) throws ControlException {
        Path path = Path.of(required(args, "jar"));
        if (!path.isAbsolute()) {
            throw new ControlException("usage", "jar: give an absolute path");
        }
        try {
            return Files.readAllBytes(path);
        } catch (IOException e) {
            throw new ControlException("usage", "Cannot read " + path + ": " + e.getMessage());
        }
    }

    private static byte[] signature(Map<String, Object> args) {
        String s = string(args, "signature");
        return s == null || s.isBlank() ? null : s.getBytes(StandardCharsets.UTF_8);
    }

    private static Map<String, String> values(Map<String, Object> args) throws ControlException {
        if (!(args.get("values") instanceof Map<?, ?> m) || m.isEmpty()) {
            throw new ControlException("usage", "values: give at least one KEY=VALUE");
        }
        Map<String, String> out = new LinkedHashMap<>();
        m.forEach((k, v) -> out.put(String.valueOf(k), v == null ? "" : String.valueOf(v)));
        return out;
    }

    static List<String> actions() {
        return List.of("list", "show", "install", "update", "start", "stop", "uninstall", "config-get", "config-set", "config-delete");
    }
}
