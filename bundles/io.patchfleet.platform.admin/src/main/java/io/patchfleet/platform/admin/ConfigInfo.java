package io.patchfleet.platform.admin;

import java.util.List;
import java.util.Map;

/**
 * The configuration of one PID and what its metatype allows.
 *
 * @param pid        the persistent id
 * @param exists     whether Configuration Admin holds a configuration for it
 * @param properties its properties (passwords masked), empty when it does not exist
 * @param attributes the metatype attributes, empty when the PID has no metatype
 */
public record ConfigInfo(String pid, boolean exists, Map<String, Object> properties, List<Attribute> attributes) {

    public ConfigInfo {
        properties = Map.copyOf(properties);
        attributes = List.copyOf(attributes);
    }

    /** One metatype attribute: id, type name, default, description, allowed options. */
    public record Attribute(String id, String type, List<String> defaultValue, String description, List<String> options) {}
}
