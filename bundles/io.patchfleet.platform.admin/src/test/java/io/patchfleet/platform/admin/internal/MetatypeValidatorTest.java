package io.patchfleet.platform.admin.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Hashtable;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.osgi.service.metatype.AttributeDefinition;

import io.patchfleet.platform.admin.PluginException;

/** Text values checked and converted by the metatype: every problem named, nothing half-applied. */
class MetatypeValidatorTest {

    /** A metatype attribute as the Metatype Service hands it out; validate checks a minimum like Felix's does. */
    record Attr(String id, int type, int cardinality, Integer min) implements AttributeDefinition {
        @Override public String getName() { return id; }
        @Override public String getID() { return id; }
        @Override public String getDescription() { return null; }
        @Override public int getCardinality() { return cardinality; }
        @Override public int getType() { return type; }
        @Override public String[] getOptionValues() { return null; }
        @Override public String[] getOptionLabels() { return null; }
        @Override public String[] getDefaultValue() { return null; }
        @Override public String validate(String value) {
            if (min != null && Long.parseLong(value.strip()) < min) {
                return "must be at least " + min;
            }
            return "";
        }
    }

    private final MetatypeValidator validator = new MetatypeValidator(new AttributeDefinition[] {
        new Attr("interval", AttributeDefinition.INTEGER, 0, 1),
        new Attr("enabled", AttributeDefinition.BOOLEAN, 0, null),
        new Attr("hosts", AttributeDefinition.STRING, 10, null),
        new Attr("secret", AttributeDefinition.PASSWORD, 0, null)});

    @Test
    void validValuesAreConvertedToTheirTypesAndMerged() throws Exception {
        Map<String, String> values = new LinkedHashMap<>();
        values.put("interval", "30");
        values.put("enabled", "TRUE");
        values.put("hosts", "a, b,c");
        values.put("store.target", "(name=x)");
        Hashtable<String, Object> merged = validator.merge("pid", Map.of("secret", "kept"), values);
        assertEquals(30, merged.get("interval"));
        assertEquals(Boolean.TRUE, merged.get("enabled"));
        assertArrayEquals(new String[] {"a", "b", "c"}, (String[]) merged.get("hosts"));
        assertEquals("kept", merged.get("secret"));
        assertEquals("(name=x)", merged.get("store.target"));
        assertTrue(validator.isPassword("secret"));
        assertFalse(validator.isPassword("interval"));
    }

    @Test
    void everyInvalidFieldIsListedAndNothingIsReturned() {
        Map<String, String> values = new LinkedHashMap<>();
        values.put("interval", "soon");
        values.put("enabled", "yes");
        values.put("intervall", "5");
        PluginException e = assertThrows(PluginException.class, () -> validator.merge("pid", Map.of(), values));
        assertEquals("invalid-config", e.code());
        List<String> fields = e.problems().stream().map(PluginException.Problem::field).toList();
        assertEquals(List.of("interval", "enabled", "intervall"), fields);
        assertTrue(e.problems().get(0).reason().contains("whole number"), e.problems().get(0).reason());
        assertTrue(e.problems().get(1).reason().contains("true or false"));
        assertTrue(e.problems().get(2).reason().contains("unknown property"));
    }

    @Test
    void theMetatypesOwnRuleRefusesAnOutOfRangeValue() {
        PluginException e = assertThrows(PluginException.class, () -> validator.merge("pid", Map.of(), Map.of("interval", "0")));
        assertEquals("must be at least 1", e.problems().get(0).reason());
    }

    @Test
    void tooManyValuesForTheCardinalityAreRefused() {
        PluginException e = assertThrows(PluginException.class,
                () -> validator.merge("pid", Map.of(), Map.of("hosts", "1,2,3,4,5,6,7,8,9,10,11")));
        assertTrue(e.problems().get(0).reason().contains("at most 10"));
    }
}
