package io.patchfleet.it.server;

import java.util.Dictionary;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.osgi.service.cm.Configuration;

import com.fasterxml.jackson.databind.ObjectMapper;

/** Small helpers of the runtime-management tests. */
final class ServerProfileTestHelpers {
    private static final ObjectMapper JSON = new ObjectMapper();

    private ServerProfileTestHelpers() {}

    static Map<String, Object> toMap(Configuration c) {
        Map<String, Object> m = new HashMap<>();
        Dictionary<String, Object> d = c.getProperties();
        if (d != null) {
            for (Enumeration<String> keys = d.keys(); keys.hasMoreElements();) {
                String k = keys.nextElement();
                m.put(k, d.get(k));
            }
        }
        return m;
    }

    static List<?> warnings(String healthBody) throws Exception {
        Object w = JSON.readValue(healthBody, Map.class).get("warnings");
        return w instanceof List<?> l ? l : List.of();
    }
}
