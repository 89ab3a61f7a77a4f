package io.patchfleet.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;

/**
 * Writes command results for people (a table or aligned fields) or for scripts (JSON, YAML),
 * so every verb offers the same {@code --format} choices with the same shapes.
 */
public final class Output {

    /** Machine-readable formats every verb offers; verbs add their own human format. */
    public enum Format { humane, table, json, yaml }

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory()
            .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
            .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES));

    private Output() {}

    /** Writes {@code value} as JSON or YAML; returns false for the human formats. */
    public static boolean writeStructured(PrintWriter out, Format format, Object value) {
        try {
            switch (format) {
                case json -> out.println(JSON.writeValueAsString(value));
                case yaml -> out.print(YAML.writeValueAsString(value));
                default -> {
                    return false;
                }
            }
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write the result as " + format, e);
        }
        out.flush();
        return true;
    }

    /**
     * Writes rows as an aligned text table; the columns are the union of the rows' keys in
     * first-seen order, and a missing or null value shows as {@code -}.
     */
    public static void table(PrintWriter out, List<? extends Map<String, ?>> rows) {
        if (rows.isEmpty()) {
            out.println("(none)");
            out.flush();
            return;
        }
        Set<String> columns = new LinkedHashSet<>();
        rows.forEach(r -> columns.addAll(r.keySet()));
        List<String> header = new ArrayList<>(columns);
        int[] width = new int[header.size()];
        List<List<String>> cells = new ArrayList<>();
        for (int c = 0; c < header.size(); c++) {
            width[c] = header.get(c).length();
        }
        for (Map<String, ?> row : rows) {
            List<String> line = new ArrayList<>();
            for (int c = 0; c < header.size(); c++) {
                Object v = row.get(header.get(c));
                String text = v == null ? "-" : String.valueOf(v);
                line.add(text);
                width[c] = Math.max(width[c], text.length());
            }
            cells.add(line);
        }
        out.println(line(header.stream().map(String::toUpperCase).toList(), width));
        cells.forEach(l -> out.println(line(l, width)));
        out.flush();
    }

    private static String line(List<String> values, int[] width) {
        StringBuilder sb = new StringBuilder();
        for (int c = 0; c < values.size(); c++) {
            if (c > 0) {
                sb.append("  ");
            }
            String v = values.get(c);
            sb.append(v);
            if (c < values.size() - 1) {
                sb.append(" ".repeat(width[c] - v.length()));
            }
        }
        return sb.toString();
    }
}
