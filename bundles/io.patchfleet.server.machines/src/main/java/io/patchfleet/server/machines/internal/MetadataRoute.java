package io.patchfleet.server.machines.internal;

import java.io.IOException;
import java.util.Map;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import io.patchfleet.server.api.ApiException;
import io.patchfleet.server.api.ApiRequest;
import io.patchfleet.server.api.ApiResponse;
import io.patchfleet.server.api.Route;
import io.patchfleet.server.api.Scope;

/**
 * {@code GET /v1/metadata/{file}}: a publisher metadata file from the verified mirror, byte for
 * byte. Versioned file names never change content, so they may be cached forever; the
 * {@code timestamp.json} and unversioned names may not.
 */
@Component
public class MetadataRoute implements Route {

    private final PublisherMirror mirror;
    private final MachineApi api;

    @Activate
    public MetadataRoute(@Reference PublisherMirror mirror, @Reference MachineApi api) {
        this.mirror = mirror;
        this.api = api;
    }

    @Override
    public String method() {
        return "GET";
    }

    @Override
    public String path() {
        return "/v1/metadata/{file}";
    }

    @Override
    public Scope scope() {
        return Scope.MACHINE;
    }

    @Override
    public ApiResponse handle(ApiRequest request) throws ApiException {
        String name = request.pathParameter("file").orElseThrow();
        try {
            byte[] bytes = mirror.metadataFile(name)
                    .orElseThrow(() -> ApiException.notFound("No metadata file " + name + " on this server"));
            boolean versioned = Character.isDigit(name.charAt(0));
            return new ApiResponse(200, Map.of("Cache-Control", versioned ? "public, max-age=31536000, immutable" : "no-cache"),
                    null, bytes, "application/json");
        } catch (IOException e) {
            throw api.unavailable(e);
        }
    }
}
