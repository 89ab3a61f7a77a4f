package io.patchfleet.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

class OutputTest {

    private static String render(Output.Format format, Object value) {
        StringWriter sw = new StringWriter();
        Output.writeStructured(new PrintWriter(sw), format, value);
        return sw.toString();
    }

    @Test
    void jsonAndYamlCarryTheSameFields() {
        Map<String, Object> value = new LinkedHashMap<>();
        value.put("enabled", false);
        value.put("kernel", Map.of("running", "6.1.0-56-amd64"));
        assertTrue(render(Output.Format.json, value).contains("\"enabled\" : false"));
        String yaml = render(Output.Format.yaml, value);
        assertTrue(yaml.startsWith("enabled: false\n"), yaml);
        assertTrue(yaml.contains("kernel:\n  running: 6.1.0-56-amd64\n"), yaml);
    }

    @Test
    void humaneFormatsAreLeftToTheVerb() {
        StringWriter sw = new StringWriter();
        assertFalse(Output.writeStructured(new PrintWriter(sw), Output.Format.humane, Map.of()));
        assertEquals("", sw.toString());
    }

    @Test
    void tablesAlignColumnsAndShowMissingValues() {
        StringWriter sw = new StringWriter();
        Map<String, Object> first = new LinkedHashMap<>();
        first.put("name", "edge");
        first.put("machines", 12);
        Map<String, Object> second = new LinkedHashMap<>();
        second.put("name", "stable");
        second.put("machines", null);
        Output.table(new PrintWriter(sw), List.of(first, second));
        assertEquals("NAME    MACHINES\nedge    12\nstable  -\n", sw.toString());
    }
}
