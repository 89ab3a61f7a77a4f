package io.patchfleet.server.api;

import java.util.Optional;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * Checks the credential of one {@link Scope}, registered as an OSGi service. The router asks the
 * authenticators of a route's scope, in service ranking order, until one recognizes the
 * credential; a credential none recognizes is answered 401. When no authenticator for a scope is
 * installed, every route of that scope answers 401: closed, never open.
 *
 * <p>Called concurrently from request threads on every non-public request: must be fast (no
 * slow key derivation per request; exchange passwords for tokens once) and thread-safe.
 */
@ConsumerType
public interface Authenticator {

    /** The scope whose credentials this authenticator checks. Never null, never {@link Scope#PUBLIC}. */
    Scope scope();

    /**
     * Checks a request's credential.
     *
     * @param authorization the value of the {@code Authorization} header, such as
     *     {@code Bearer …}; never null (the router answers 401 itself when the header is missing)
     * @param request the request, for authenticators that need more (a client address for lockout)
     * @return the principal, or empty if this authenticator does not recognize the credential
     * @throws ApiException to refuse with a specific status, such as 429 while a user is locked out
     */
    Optional<Principal> authenticate(String authorization, ApiRequest request) throws ApiException;
}
