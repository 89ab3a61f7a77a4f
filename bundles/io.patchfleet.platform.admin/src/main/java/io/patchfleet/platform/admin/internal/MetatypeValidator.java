package io.patchfleet.platform.admin.internal;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Hashtable;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.osgi.service.metatype.AttributeDefinition;

import io.patchfleet.platform.admin.PluginException;

/**
 * Turns the text values an operator typed into the typed values a component's metatype
 * declares, and refuses the whole change when any value does not fit: every problem is listed
 * with its field and reason, and nothing is applied. A list value is written comma-separated.
 *
 * <p>Keys that the metatype does not declare are refused (a typo would otherwise be stored and
 * silently ignored), except {@code *.target} reference filters, which DS reads from every
 * configuration.
 */
final class MetatypeValidator {
    static final String MASK = "********";

    private final Map<String, AttributeDefinition> attributes = new LinkedHashMap<>();

    MetatypeValidator(AttributeDefinition[] definitions) {
        for (AttributeDefinition ad : definitions == null ? new AttributeDefinition[0] : definitions) {
            attributes.put(ad.getID(), ad);
        }
    }

    boolean isPassword(String key) {
        AttributeDefinition ad = attributes.get(key);
        return ad != null && ad.getType() == AttributeDefinition.PASSWORD;
    }

    /**
     * Merges {@code values} into {@code current}.
     *
     * @throws PluginException {@code invalid-config} listing every field that does not fit
     */
    Hashtable<String, Object> merge(String pid, Map<String, Object> current, Map<String, String> values) throws PluginException {
        List<PluginException.Problem> problems = new ArrayList<>();
        Hashtable<String, Object> merged = new Hashtable<>();
        current.forEach((k, v) -> {
            if (v != null) {
                merged.put(k, v);
            }
        });
        for (Map.Entry<String, String> e : values.entrySet()) {
            String key = e.getKey();
            String text = e.getValue() == null ? "" : e.getValue();
            AttributeDefinition ad = attributes.get(key);
            if (ad == null) {
                if (key.endsWith(".target") && !key.isBlank()) {
                    merged.put(key, text);
                } else {
                    problems.add(new PluginException.Problem(key, "unknown property; " + pid + " has " + String.join(", ", attributes.keySet())));
                }
                continue;
            }
            try {
                Object value = convert(ad, text);
                String reason = ad.validate(text);
                if (reason != null && !reason.isEmpty()) {
                    problems.add(new PluginException.Problem(key, reason));
                    continue;
                }
                merged.put(key, value);
            } catch (IllegalArgumentException x) {
                problems.add(new PluginException.Problem(key, x.getMessage()));
            }
        }
        if (!problems.isEmpty()) {
            throw new PluginException("invalid-config", "Configuration " + pid + " refused, nothing changed: "
                    + problems.stream().map(p -> p.field() + ": " + p.reason()).reduce((a, b) -> a + "; " + b).orElse(""), problems);
        }
        return merged;
    }

    static Object convert(AttributeDefinition ad, String text) {
        if (ad.getCardinality() == 0) {
            return scalar(ad, text.strip());
        }
        List<String> items = text.isBlank() ? List.of() : Arrays.stream(text.split(",")).map(String::strip).toList();
        int max = Math.abs(ad.getCardinality());
        if (max != Integer.MAX_VALUE && items.size() > max) {
            throw new IllegalArgumentException("at most " + max + " values, got " + items.size());
        }
        List<Object> converted = new ArrayList<>();
        for (String item : items) {
            converted.add(scalar(ad, item));
        }
        if (ad.getCardinality() < 0) {
            return converted;
        }
        Object array = java.lang.reflect.Array.newInstance(typeOf(ad.getType()), converted.size());
        for (int i = 0; i < converted.size(); i++) {
            java.lang.reflect.Array.set(array, i, converted.get(i));
        }
        return array;
    }

    private static Object scalar(AttributeDefinition ad, String text) {
        try {
            return switch (ad.getType()) {
                case AttributeDefinition.LONG -> Long.valueOf(text);
                case AttributeDefinition.INTEGER -> Integer.valueOf(text);
                case AttributeDefinition.SHORT -> Short.valueOf(text);
                case AttributeDefinition.BYTE -> Byte.valueOf(text);
                case AttributeDefinition.DOUBLE -> Double.valueOf(text);
                case AttributeDefinition.FLOAT -> Float.valueOf(text);
                case AttributeDefinition.CHARACTER -> {
                    if (text.length() != 1) {
                        throw new IllegalArgumentException("must be one character");
                    }
                    yield text.charAt(0);
                }
                case AttributeDefinition.BOOLEAN -> {
                    if (!text.equalsIgnoreCase("true") && !text.equalsIgnoreCase("false")) {
                        throw new IllegalArgumentException("must be true or false, not \"" + printable(text) + "\"");
                    }
                    yield Boolean.valueOf(text);
                }
                default -> text;
            };
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("must be " + typeName(ad.getType()) + ", not \"" + printable(text) + "\"");
        }
    }

    private static Class<?> typeOf(int type) {
        return switch (type) {
            case AttributeDefinition.LONG -> Long.class;
            case AttributeDefinition.INTEGER -> Integer.class;
            case AttributeDefinition.SHORT -> Short.class;
            case AttributeDefinition.BYTE -> Byte.class;
            case AttributeDefinition.DOUBLE -> Double.class;
            case AttributeDefinition.FLOAT -> Float.class;
            case AttributeDefinition.CHARACTER -> Character.class;
            case AttributeDefinition.BOOLEAN -> Boolean.class;
            default -> String.class;
        };
    }

    static String typeName(int type) {
        return switch (type) {
            case AttributeDefinition.LONG -> "a whole number (long)";
            case AttributeDefinition.INTEGER -> "a whole number (integer)";
            case AttributeDefinition.SHORT -> "a whole number (short)";
            case AttributeDefinition.BYTE -> "a whole number (byte)";
            case AttributeDefinition.DOUBLE, AttributeDefinition.FLOAT -> "a number";
            case AttributeDefinition.CHARACTER -> "one character";
            case AttributeDefinition.BOOLEAN -> "true or false";
            case AttributeDefinition.PASSWORD -> "a password";
            default -> "text";
        };
    }

    static String shortTypeName(int type) {
        return switch (type) {
            case AttributeDefinition.LONG -> "long";
            case AttributeDefinition.INTEGER -> "integer";
            case AttributeDefinition.SHORT -> "short";
            case AttributeDefinition.BYTE -> "byte";
            case AttributeDefinition.DOUBLE -> "double";
            case AttributeDefinition.FLOAT -> "float";
            case AttributeDefinition.CHARACTER -> "char";
            case AttributeDefinition.BOOLEAN -> "boolean";
            case AttributeDefinition.PASSWORD -> "password";
            default -> "string";
        };
    }

    private static String printable(String s) {
        String cut = s.length() > 40 ? s.substring(0, 40) + "…" : s;
        return cut.replaceAll("\\p{Cntrl}", "?");
    }
}
