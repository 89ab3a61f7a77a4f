package io.patchfleet.server.http.internal;

import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.runtime.ServiceComponentRuntime;
import org.osgi.service.component.runtime.dto.ComponentConfigurationDTO;
import org.osgi.service.component.runtime.dto.ComponentDescriptionDTO;

import io.patchfleet.server.api.ApiResponse;
import io.patchfleet.server.api.Route;
import io.patchfleet.server.api.Scope;

/**
 * {@code GET /v1/health}: version, profile, uptime, every bundle with its state, and every
 * component that failed to activate or waits for something. 503 when any component failed to
 * activate, so that a load balancer or an operator's probe sees a broken node.
 */
@Component
public class HealthRoute implements Route {

    private final BundleContext context;
    private final ServiceComponentRuntime scr;

    @Activate
    public HealthRoute(BundleContext context, @Reference ServiceComponentRuntime scr) {
        this.context = context;
        this.scr = scr;
    }

    @Override
    public String method() {
        return "GET";
    }

    @Override
    public String path() {
        return "/v1/health";
    }

    @Override
    public Scope scope() {
        return Scope.PUBLIC;
    }

    @Override
    public ApiResponse handle(io.patchfleet.server.api.ApiRequest request) {
        List<Map<String, Object>> bundles = new ArrayList<>();
        for (Bundle b : context.getBundles()) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("id", b.getBundleId());
            row.put("symbolicName", b.getSymbolicName());
            row.put("version", b.getVersion().toString());
            row.put("state", stateName(b));
            bundles.add(row);
        }
        List<Map<String, Object>> failed = new ArrayList<>();
        List<Map<String, Object>> waiting = new ArrayList<>();
        for (ComponentDescriptionDTO description : scr.getComponentDescriptionDTOs()) {
            if (!description.defaultEnabled && !scr.isComponentEnabled(description)) {
                continue;
            }
            for (ComponentConfigurationDTO configuration : scr.getComponentConfigurationDTOs(description)) {
                switch (configuration.state) {
                    case ComponentConfigurationDTO.FAILED_ACTIVATION -> failed.add(component(description, configuration));
                    case ComponentConfigurationDTO.UNSATISFIED_REFERENCE, ComponentConfigurationDTO.UNSATISFIED_CONFIGURATION ->
                        waiting.add(component(description, configuration));
                    default -> { }
                }
            }
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("status", failed.isEmpty() ? "ok" : "failing");
        body.put("version", property("patchfleet.version", context.getBundle().getVersion().toString()));
        body.put("profile", property("patchfleet.profile", "server"));
        body.put("uptimeSeconds", Duration.ofMillis(ManagementFactory.getRuntimeMXBean().getUptime()).toSeconds());
        body.put("bundles", bundles);
        body.put("warnings", warnings());
        body.put("failedComponents", failed);
        body.put("unsatisfiedComponents", waiting);
        return ApiResponse.json(failed.isEmpty() ? 200 : 503, body);
    }

    /**
     * Settings an operator must notice although the node works, such as unsigned plugins being
     * allowed: any service registered with the property {@code patchfleet.health.warning}.
     */
    private List<String> warnings() {
        List<String> warnings = new ArrayList<>();
        try {
            var refs = context.getServiceReferences((String) null, "(patchfleet.health.warning=*)");
            if (refs != null) {
                for (var ref : refs) {
                    warnings.add(String.valueOf(ref.getProperty("patchfleet.health.warning")));
                }
            }
        } catch (org.osgi.framework.InvalidSyntaxException e) {
            throw new IllegalStateException(e);
        }
        return warnings;
    }

    private String property(String key, String fallback) {
        String value = context.getProperty(key);
        return value == null ? fallback : value;
    }

    private static Map<String, Object> component(ComponentDescriptionDTO description, ComponentConfigurationDTO configuration) {
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("name", description.name);
        row.put("bundle", description.bundle.symbolicName);
        row.put("state", switch (configuration.state) {
            case ComponentConfigurationDTO.FAILED_ACTIVATION -> "FAILED_ACTIVATION";
            case ComponentConfigurationDTO.UNSATISFIED_REFERENCE -> "UNSATISFIED_REFERENCE";
            default -> "UNSATISFIED_CONFIGURATION";
        });
        if (configuration.failure != null) {
            row.put("failure", configuration.failure.lines().findFirst().orElse(configuration.failure));
        }
        if (configuration.unsatisfiedReferences != null && configuration.unsatisfiedReferences.length > 0) {
            List<String> missing = new ArrayList<>();
            for (var ref : configuration.unsatisfiedReferences) {
                missing.add(ref.name + (ref.target == null ? "" : " " + ref.target));
            }
            row.put("unsatisfiedReferences", missing);
        }
        return row;
    }

    static String stateName(Bundle b) {
        boolean fragment = b.getHeaders("").get(Constants.FRAGMENT_HOST) != null;
        return switch (b.getState()) {
            case Bundle.ACTIVE -> "ACTIVE";
            case Bundle.STARTING -> "STARTING";
            case Bundle.STOPPING -> "STOPPING";
            case Bundle.RESOLVED -> fragment ? "FRAGMENT" : "RESOLVED";
            case Bundle.INSTALLED -> "INSTALLED";
            default -> "UNINSTALLED";
        };
    }
}
