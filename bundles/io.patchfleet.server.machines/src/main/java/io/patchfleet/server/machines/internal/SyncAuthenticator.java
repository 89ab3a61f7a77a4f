package io.patchfleet.server.machines.internal;

import java.util.Optional;
import java.util.Set;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.patchfleet.server.api.ApiException;
import io.patchfleet.server.api.ApiRequest;
import io.patchfleet.server.api.Authenticator;
import io.patchfleet.server.api.Principal;
import io.patchfleet.server.api.Scope;
import io.patchfleet.store.api.StoreException;
import io.patchfleet.store.api.SyncToken;
import io.patchfleet.store.api.SyncTokenStore;

/**
 * Sync tokens ({@code Authorization: Bearer <secret>}) for {@link Scope#SYNC} routes only: the
 * router never asks this authenticator for machine or admin routes, and the machine and admin
 * authenticators never know sync tokens, so a sync token opens nothing else. The principal
 * carries the token's tier as the role {@code tier:<name>}, which the sync routes serve.
 */
@Component
public class SyncAuthenticator implements Authenticator {
    static final String TIER_ROLE = "tier:";
    /** The role that names the token's id, for what a downstream sends with it (upstream reports). */
    static final String TOKEN_ROLE = "token:";
    private static final Logger SECURITY = LoggerFactory.getLogger("io.patchfleet.security");
    private static final String BEARER = "Bearer ";

    private final SyncTokenStore tokens;

    @Activate
    public SyncAuthenticator(@Reference SyncTokenStore tokens) {
        this.tokens = tokens;
    }

    @Override
    public Scope scope() {
        return Scope.SYNC;
    }

    @Override
    public Optional<Principal> authenticate(String authorization, ApiRequest request) throws ApiException {
        if (!authorization.startsWith(BEARER) || authorization.length() > BEARER.length() + 256) {
            return Optional.empty();
        }
        try {
            Optional<SyncToken> token = tokens.authenticate(authorization.substring(BEARER.length()).trim());
            if (token.isEmpty()) {
                SECURITY.warn("Sync request refused: unknown, revoked or expired sync token from {}",
                        request.remoteAddress().orElse("?"));
            }
            return token.map(t -> new Principal(t.name(), Scope.SYNC, Set.of(TIER_ROLE + t.tier().value(), TOKEN_ROLE + t.id())));
        } catch (StoreException e) {
            throw new ApiException(503, "unavailable", "The server cannot check credentials right now; retry later");
        }
    }
}
