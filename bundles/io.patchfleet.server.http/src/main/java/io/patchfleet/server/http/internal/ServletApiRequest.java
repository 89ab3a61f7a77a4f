package io.patchfleet.server.http.internal;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;

import io.patchfleet.server.api.ApiException;
import io.patchfleet.server.api.ApiRequest;
import io.patchfleet.server.api.Principal;
import jakarta.servlet.http.HttpServletRequest;

/** {@link ApiRequest} over a servlet request whose body was already read within the limit. */
final class ServletApiRequest implements ApiRequest {

    /**
     * One reader per body type: readers are immutable and thread-safe, and building one per
     * request (with its feature set) was measurable on the check-in path. A {@link ClassValue},
     * which lives with the class: an updated route bundle brings new classes, and the old ones
     * can still be unloaded.
     */
    private static final ClassValue<com.fasterxml.jackson.databind.ObjectReader> READERS = new ClassValue<>() {
        @Override
        protected com.fasterxml.jackson.databind.ObjectReader computeValue(Class<?> type) {
            return JsonErrors.MAPPER.readerFor(type).with(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
        }
    };

    private final HttpServletRequest request;
    private final String path;
    private final Map<String, String> parameters;
    private final byte[] body;
    private Principal principal;

    ServletApiRequest(HttpServletRequest request, String path, Map<String, String> parameters, byte[] body) {
        this.request = request;
        this.path = path;
        this.parameters = parameters;
        this.body = body;
    }

    @Override
    public String method() {
        return request.getMethod();
    }

    @Override
    public String path() {
        return path;
    }

    @Override
    public Optional<String> pathParameter(String name) {
        return Optional.ofNullable(parameters.get(name));
    }

    @Override
    public Optional<String> queryParameter(String name) {
        return Optional.ofNullable(request.getParameter(name));
    }

    @Override
    public Map<String, List<String>> queryParameters() {
        Map<String, List<String>> all = new LinkedHashMap<>();
        request.getParameterMap().forEach((k, v) -> all.put(k, List.of(v)));
        return Collections.unmodifiableMap(all);
    }

    @Override
    public Optional<String> header(String name) {
        return Optional.ofNullable(request.getHeader(name));
    }

    @Override
    public Optional<String> remoteAddress() {
        return Optional.ofNullable(request.getRemoteAddr());
    }

    @Override
    public Optional<Principal> principal() {
        return Optional.ofNullable(principal);
    }

    void principal(Principal principal) {
        this.principal = principal;
    }

    @Override
    public byte[] body() {
        return body.clone();
    }

    @Override
    public <T> T bodyAs(Class<T> type) throws ApiException {
        if (body.length == 0) {
            throw ApiException.badRequest("missing-body", "The request needs a JSON body");
        }
        try {
            return READERS.get(type).readValue(body);
        } catch (JsonProcessingException e) {
            String where = e.getLocation() == null ? ""
                    : " at line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr();
            throw ApiException.badRequest("malformed-json", "The body is not valid JSON for this request" + where + ": "
                    + e.getOriginalMessage());
        } catch (java.io.IOException e) {
            throw ApiException.badRequest("malformed-json", "The body could not be read: " + e.getMessage());
        }
    }
}
