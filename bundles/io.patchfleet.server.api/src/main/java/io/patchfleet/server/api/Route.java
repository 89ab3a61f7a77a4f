package io.patchfleet.server.api;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * One HTTP endpoint, registered as an OSGi service and picked up by the router at run time.
 *
 * <p><b>Matching.</b> {@link #path()} is an absolute template of segments separated by
 * {@code /}; a segment written {@code {name}} matches any one non-empty segment and is handed to
 * the route as a path parameter. A literal segment wins over a parameter segment. Two routes
 * with the same method and template conflict: the one with the higher {@code service.ranking}
 * (then the lower service id) serves, which is how a bundle replaces a built-in route.
 *
 * <p><b>Threading.</b> {@link #handle} is called concurrently from many request threads and
 * must be thread-safe. It should not block for long: operations that take more than a request
 * (sync, rollout changes) start work and return at once with a resource to poll.
 *
 * <p><b>Errors.</b> A route signals an expected failure by throwing {@link ApiException}, which
 * becomes a JSON error body with its status. Any other exception is logged and answered with
 * 500 and a JSON error that carries no internal detail.
 */
@ConsumerType
public interface Route {

    /** The HTTP method in upper case, such as {@code GET}. Never null. {@code HEAD} is served by GET routes. */
    String method();

    /** The path template, such as {@code /v1/machines/{id}}. Never null, starts with {@code /}. */
    String path();

    /** Who may call this route. Never null. */
    Scope scope();

    /**
     * The roles that may call this route, any one of them sufficing; empty means every
     * authenticated principal of the route's {@link #scope()}. Ignored for {@link Scope#PUBLIC}.
     * A principal without one of them gets 403.
     */
    default java.util.Set<String> roles() {
        return java.util.Set.of();
    }

    /**
     * Answers one request.
     *
     * @param request the request; its body has already been read within the router's size limit
     * @return the response, never null
     * @throws ApiException for an expected failure (bad input, not found, conflict)
     */
    ApiResponse handle(ApiRequest request) throws ApiException;
}
