package io.patchfleet.server.http.internal;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.runtime.ServiceComponentRuntime;
import org.osgi.service.component.runtime.dto.ComponentConfigurationDTO;
import org.osgi.service.component.runtime.dto.ComponentDescriptionDTO;

import io.patchfleet.server.api.ApiRequest;
import io.patchfleet.server.api.ApiResponse;
import io.patchfleet.server.api.Route;
import io.patchfleet.server.api.Scope;

/**
 * {@code GET /v1/ready}: readiness, apart from liveness ({@code /v1/health}). Ready means every
 * Patchfleet component is active or satisfied: a server whose store is still opening, or whose
 * machine API waits for a dependency, answers 503 here so a load balancer sends it no traffic,
 * while {@code /v1/health} still says the process is alive.
 */
@Component
public class ReadyRoute implements Route {

    private final ServiceComponentRuntime scr;

    @Activate
    public ReadyRoute(@Reference ServiceComponentRuntime scr) {
        this.scr = scr;
    }

    @Override
    public String method() {
        return "GET";
    }

    @Override
    public String path() {
        return "/v1/ready";
    }

    @Override
    public Scope scope() {
        return Scope.PUBLIC;
    }

    @Override
    public ApiResponse handle(ApiRequest request) {
        List<String> waiting = new ArrayList<>();
        for (ComponentDescriptionDTO d : scr.getComponentDescriptionDTOs()) {
            if (!d.bundle.symbolicName.startsWith("io.patchfleet.") || !scr.isComponentEnabled(d)) {
                continue;
            }
            for (ComponentConfigurationDTO c : scr.getComponentConfigurationDTOs(d)) {
                if (c.state != ComponentConfigurationDTO.ACTIVE && c.state != ComponentConfigurationDTO.SATISFIED) {
                    waiting.add(d.name);
                }
            }
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("ready", waiting.isEmpty());
        body.put("waiting", waiting);
        return ApiResponse.json(waiting.isEmpty() ? 200 : 503, body);
    }
}
