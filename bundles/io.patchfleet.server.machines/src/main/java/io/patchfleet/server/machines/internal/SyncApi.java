package io.patchfleet.server.machines.internal;

import java.nio.charset.StandardCharsets;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;

import io.patchfleet.model.PatchRelease;
import io.patchfleet.model.Sha256;
import io.patchfleet.model.Tier;
import io.patchfleet.model.TierName;
import io.patchfleet.server.api.ApiException;
import io.patchfleet.server.api.ApiRequest;
import io.patchfleet.server.api.ApiResponse;
import io.patchfleet.server.api.Principal;
import io.patchfleet.server.api.Route;
import io.patchfleet.server.api.Scope;
import io.patchfleet.store.api.BlobStore;
import io.patchfleet.store.api.PatchCatalog;
import io.patchfleet.store.api.StoreException;
import io.patchfleet.store.api.TierStore;

/**
 * The sync API a downstream server calls with a sync token (scope {@code sync}), so this server
 * is the upstream of others (chaining: a server that syncs can itself be synced from).
 *
 * <ul>
 * <li>{@code GET /v1/sync/metadata/{file}}: publisher metadata, byte for byte from the verified
 * mirror. The downstream is a TUF client of the publisher: it fetches the timestamp, and only
 * when that changed the snapshot and the roles whose versions changed. That is what makes sync
 * incremental — the caller's state is its trusted metadata, TUF's versions are the cursor, and
 * a no-change sync is two small requests.
 * <li>{@code GET /v1/sync/releases}: which releases the token's tier may have, each with the
 * highest tier it is promoted to here (for downstreams that mirror tiers), and which releases
 * this server withdrew (revoked by an admin here, not by the publisher).
 * <li>{@code GET /v1/sync/blobs/{sha256}}: a module, with {@code Range} resume, only if it is a
 * release available to the token's tier.
 * </ul>
 */
@Component(immediate = true, service = {})
public final class SyncApi {

    /**
     * One tier's answer, with what it was computed from: the catalog's answers per tier (the same list
     * instances while the catalog has not changed: the store caches them until its next write) and the
     * mirror's state. While those are the same objects the listing is reused, and its ETag lets a
     * downstream's no-change sync skip the body (304).
     */
    record Listing(List<Object> from, List<Map<String, Object>> releases, List<Map<String, Object>> withdrawn,
            Set<Sha256> blobs, List<String> tiers, String etag) {}

    private final PublisherMirror mirror;
    private final PatchCatalog catalog;
    private final TierStore tiers;
    private final MetadataRoute metadata;
    private final BlobRoute blobs;
    private final Map<String, Listing> cache = new ConcurrentHashMap<>();
    private final List<ServiceRegistration<Route>> registrations = new ArrayList<>();

    @Activate
    public SyncApi(BundleContext context, @Reference PublisherMirror mirror, @Reference PatchCatalog catalog,
            @Reference TierStore tiers, @Reference BlobStore blobStore, @Reference MachineApi api) {
        this.mirror = mirror;
        this.catalog = catalog;
        this.tiers = tiers;
        this.metadata = new MetadataRoute(mirror, api);
        this.blobs = new BlobRoute(blobStore, api);
        for (Route r : routes()) {
            registrations.add(context.registerService(Route.class, r, null));
        }
    }

    @Deactivate
    void deactivate() {
        for (ServiceRegistration<Route> r : registrations) {
            try {
                r.unregister();
            } catch (IllegalStateException gone) {
                // the bundle is stopping
            }
        }
    }

    List<Route> routes() {
        return List.of(route("/v1/sync/metadata/{file}", metadata::handle),
                route("/v1/sync/releases", r -> {
                    Listing l = listing(tier(r));
                    if (r.header("If-None-Match").map(l.etag()::equals).orElse(false)) {
                        return ApiResponse.empty(304).withHeader("ETag", l.etag());
                    }
                    return ApiResponse.ok(releasesView(l)).withHeader("ETag", l.etag());
                }),
                route("/v1/sync/blobs/{sha256}", r -> {
                    Sha256 sha;
                    try {
                        sha = Sha256.of(r.pathParameter("sha256").orElseThrow());
                    } catch (IllegalArgumentException e) {
                        throw ApiException.badRequest("invalid-digest", "A blob is named by its SHA-256 in lower-case hex");
                    }
                    if (!listing(tier(r)).blobs().contains(sha)) {
                        // Not "forbidden": a token must not learn which modules exist beyond its tier.
                        throw ApiException.notFound("No blob " + sha.hex() + " for this sync token's tier");
                    }
                    return blobs.handle(r);
                }));
    }

    private static Map<String, Object> releasesView(Listing l) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("tiers", l.tiers());
        out.put("releases", l.releases());
        out.put("withdrawn", l.withdrawn());
        return out;
    }

    private static TierName tier(ApiRequest r) throws ApiException {
        Principal p = r.principal().orElseThrow(() -> new ApiException(401, "unauthorized", "A sync token is required"));
        for (String role : p.roles()) {
            if (role.startsWith(SyncAuthenticator.TIER_ROLE)) {
                return TierName.of(role.substring(SyncAuthenticator.TIER_ROLE.length()));
            }
        }
        throw new ApiException(403, "forbidden", "This credential is not a sync token");
    }

    Listing listing(TierName tier) throws ApiException {
        try {
            List<Tier> ordered = new ArrayList<>(tiers.tiers());
            ordered.sort(java.util.Comparator.comparingInt(Tier::position));
            List<Object> from = new ArrayList<>();
            List<List<PatchRelease>> available = new ArrayList<>();
            for (Tier t : ordered) {
                List<PatchRelease> l = catalog.findAvailableTo(t.name());
                available.add(l);
                from.add(l);
            }
            from.add(mirror.current().orElse(null));
            Listing cached = cache.get(tier.value());
            if (cached != null && sameObjects(cached.from(), from)) {
                return cached;
            }
            int tokenTier = -1;
            for (int i = 0; i < ordered.size(); i++) {
                if (ordered.get(i).name().equals(tier)) {
                    tokenTier = i;
                }
            }
            if (tokenTier < 0) {
                throw new ApiException(403, "tier-deleted", "The tier of this sync token (" + tier.value()
                        + ") no longer exists on the upstream; ask its admin for a new token");
            }
            // highest tier each non-revoked release is promoted to
            Map<String, Integer> highest = new HashMap<>();
            Map<String, PatchRelease> byTarget = new HashMap<>();
            for (int i = 0; i < ordered.size(); i++) {
                for (PatchRelease r : available.get(i)) {
                    highest.put(r.targetName(), i);
                    byTarget.put(r.targetName(), r);
                }
            }
            List<Map<String, Object>> releases = new ArrayList<>();
            Set<Sha256> allowed = new HashSet<>();
            for (Map.Entry<String, Integer> e : highest.entrySet()) {
                if (e.getValue() >= tokenTier) {
                    PatchRelease r = byTarget.get(e.getKey());
                    allowed.add(r.sha256());
                    Map<String, Object> m = new LinkedHashMap<>();
                    m.put("target", r.targetName());
                    m.put("sha256", r.sha256().hex());
                    m.put("tier", ordered.get(e.getValue()).name().value());
                    releases.add(m);
                }
            }
            releases.sort(java.util.Comparator.comparing(m -> (String) m.get("target")));
            List<Map<String, Object>> withdrawn = new ArrayList<>();
            for (PatchRelease r : mirror.current().map(PublisherMirror.State::releases).orElse(List.of())) {
                if (!r.revoked() && !highest.containsKey(r.targetName())
                        && catalog.find(r.kernel(), r.version()).map(PatchRelease::revoked).orElse(false)) {
                    withdrawn.add(Map.of("target", r.targetName(), "sha256", r.sha256().hex()));
                }
            }
            List<String> names = ordered.stream().map(t -> t.name().value()).toList();
            java.security.MessageDigest md = Sha256.newDigest();
            for (Map<String, Object> m : releases) {
                md.update((m.get("target") + " " + m.get("sha256") + " " + m.get("tier") + "\n").getBytes(StandardCharsets.UTF_8));
            }
            md.update("withdrawn\n".getBytes(StandardCharsets.UTF_8));
            for (Map<String, Object> m : withdrawn) {
                md.update((m.get("target") + " " + m.get("sha256") + "\n").getBytes(StandardCharsets.UTF_8));
            }
            md.update(String.join(" ", names).getBytes(StandardCharsets.UTF_8));
            String etag = "\"" + Sha256.ofDigest(md.digest()).hex() + "\"";
            Listing l = new Listing(from, List.copyOf(releases), List.copyOf(withdrawn), Set.copyOf(allowed), names, etag);
            cache.put(tier.value(), l);
            return l;
        } catch (StoreException e) {
            throw new ApiException(503, "unavailable", "The server's storage is unavailable; retry later");
        }
    }

    private static boolean sameObjects(List<Object> a, List<Object> b) {
        if (a.size() != b.size()) {
            return false;
        }
        for (int i = 0; i < a.size(); i++) {
            if (a.get(i) != b.get(i)) {
                return false;
            }
        }
        return true;
    }

    @FunctionalInterface
    interface Handler {
        ApiResponse handle(ApiRequest r) throws ApiException;
    }

    private static Route route(String path, Handler handler) {
        return new Route() {
            @Override
            public String method() {
                return "GET";
            }

            @Override
            public String path() {
                return path;
            }

            @Override
            public Scope scope() {
                return Scope.SYNC;
            }

            @Override
            public ApiResponse handle(ApiRequest request) throws ApiException {
                return handler.handle(request);
            }

            @Override
            public String toString() {
                return "GET " + path + " [sync]";
            }
        };
    }
}
