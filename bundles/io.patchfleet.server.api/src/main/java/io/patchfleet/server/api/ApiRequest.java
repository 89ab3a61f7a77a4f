package io.patchfleet.server.api;

import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.osgi.annotation.versioning.ProviderType;

/**
 * A request as a route sees it. Implemented by the router; valid only during
 * {@link Route#handle}. Not thread-safe; a route must not keep it after returning.
 */
@ProviderType
public interface ApiRequest {

    /** The HTTP method in upper case. */
    String method();

    /** The decoded request path, such as {@code /v1/machines/abc}. */
    String path();

    /** The value of a {@code {name}} segment of the route's template; empty if no such segment. */
    Optional<String> pathParameter(String name);

    /** The first value of a query parameter; empty if absent. */
    Optional<String> queryParameter(String name);

    /** All query parameters with all their values, in request order. Never null. */
    Map<String, List<String>> queryParameters();

    /** The first value of a header (case-insensitive name); empty if absent. */
    Optional<String> header(String name);

    /**
     * The address of the peer that sent the request (a proxy's when there is one in front), for
     * rate limits and security logs; empty when unknown.
     */
    default Optional<String> remoteAddress() {
        return Optional.empty();
    }

    /**
     * The authenticated principal (machine, admin user or sync token); empty for
     * {@link Scope#PUBLIC} routes and while an {@link Authenticator} is deciding.
     */
    Optional<Principal> principal();

    /** The raw body; an empty array when there is none. The router has enforced its size limit. */
    byte[] body();

    /**
     * The body parsed as JSON into {@code type}.
     *
     * @throws ApiException 400 with the parser's reason (line and column) when the body is missing,
     *         is not JSON, or does not fit {@code type}
     */
    <T> T bodyAs(Class<T> type) throws ApiException;
}
