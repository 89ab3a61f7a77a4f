package io.patchfleet.client.internal;

import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * Edits a {@code .cfg} file of the configuration directory in place: the lines of the keys
 * changed are replaced (or appended), a cleared key's line is removed, comments and other keys
 * stay. Written atomically; FileInstall sees the new file and updates Configuration Admin.
 */
final class ConfigFile {
    private ConfigFile() {}

    static Map<String, String> read(Path cfg) throws IOException {
        Map<String, String> out = new LinkedHashMap<>();
        if (!Files.isRegularFile(cfg)) {
            return out;
        }
        Properties p = new Properties();
        p.load(new StringReader(Files.readString(cfg, StandardCharsets.UTF_8)));
        for (String name : p.stringPropertyNames()) {
            out.put(name, p.getProperty(name).trim());
        }
        return out;
    }

    /** Sets each property; an empty value removes it. */
    static void update(Path cfg, Map<String, String> changes) throws IOException {
        List<String> lines = Files.isRegularFile(cfg) ? Files.readAllLines(cfg, StandardCharsets.UTF_8) : new ArrayList<>();
        List<String> out = new ArrayList<>();
        Map<String, String> pending = new LinkedHashMap<>(changes);
        for (String line : lines) {
            String t = line.trim();
            String key = t.isEmpty() || t.startsWith("#") || t.startsWith("!") ? null : t.split("\\s*[=:\\s]", 2)[0];
            if (key != null && pending.containsKey(key)) {
                String v = pending.remove(key);
                if (!v.isEmpty()) {
                    out.add(key + " = " + escape(v));
                }
            } else {
                out.add(line);
            }
        }
        pending.forEach((k, v) -> {
            if (!v.isEmpty()) {
                out.add(k + " = " + escape(v));
            }
        });
        JsonFiles.writeBytes(cfg, (String.join("\n", out) + "\n").getBytes(StandardCharsets.UTF_8));
    }

    private static String escape(String v) {
        StringBuilder sb = new StringBuilder();
        for (char c : v.toCharArray()) {
            if (c == '\\') {
                sb.append("\\\\");
            } else if (c == '\n') {
                sb.append("\\n");
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }
}
