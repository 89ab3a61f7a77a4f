package io.patchfleet.sync.http.internal;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Proxy;
import java.net.ProxySelector;
import java.net.SocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.AttributeType;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.osgi.service.metatype.annotations.Option;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.fasterxml.jackson.databind.ObjectMapper;

import io.patchfleet.model.PatchRelease;
import io.patchfleet.model.Sha256;
import io.patchfleet.model.TierName;
import io.patchfleet.server.api.ApiException;
import io.patchfleet.server.api.ApiRequest;
import io.patchfleet.server.api.ApiResponse;
import io.patchfleet.server.api.Route;
import io.patchfleet.server.api.Scope;
import io.patchfleet.store.api.BlobStore;
import io.patchfleet.store.api.MachineStore;
import io.patchfleet.store.api.PatchCatalog;
import io.patchfleet.store.api.StoreException;
import io.patchfleet.store.api.TierStore;
import io.patchfleet.store.api.UpstreamWithdrawal;
import io.patchfleet.store.api.UpstreamWithdrawals;
import io.patchfleet.sync.api.CatalogMirror;
import io.patchfleet.sync.api.MirrorResult;
import io.patchfleet.sync.api.SyncCursor;
import io.patchfleet.sync.api.SyncException;
import io.patchfleet.sync.api.SyncService;
import io.patchfleet.sync.api.SyncStatus;
import io.patchfleet.trust.api.TrustAnchor;

/**
 * The on-prem side of sync: keeps this server current from an upstream Patchfleet server.
 *
 * <p>A run: read the upstream's release listing for this token's tier, then one
 * {@link CatalogMirror#update} with an {@link HttpUpstream} (TUF client refresh from the pinned
 * publisher root, the wanted roles, each module downloaded with resume and verified before it is
 * stored, and only then the catalog rows), then what the catalog alone carries: releases the
 * upstream withdrew are revoked here unless an admin keeps them ({@link UpstreamWithdrawals}:
 * then they stay offered, shown as "enabled (!)"), and with {@code tiers = mirror} releases are
 * promoted to the local tier of the same name as upstream. After a successful run, the opt-in
 * report to the upstream ({@code upstream.reports}, {@link UpstreamReporter}). Runs on its own thread, at start, on an interval
 * and on demand; check-ins never wait for it (they read the mirror's last complete state). The
 * last run's outcome is kept in {@code DATA/sync/status.json} across restarts.
 */
@Component(service = SyncService.class, immediate = true, configurationPid = HttpSync.PID)
@Designate(ocd = HttpSync.Config.class)
public final class HttpSync implements SyncService {
    static final String PID = "io.patchfleet.sync.http";
    private static final Logger LOG = LoggerFactory.getLogger(HttpSync.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    @ObjectClassDefinition(name = "Patchfleet upstream sync",
            description = "Keeps this server's patches current from an upstream Patchfleet server")
    public @interface Config {
        @AttributeDefinition(description = "Base URL of the upstream server, e.g. https://patches.example:8080; empty: no sync")
        String upstream_url() default "";

        @AttributeDefinition(type = AttributeType.PASSWORD, description = "Sync token ('patchfleet admin sync-token create' on the upstream)")
        String token() default "";

        @AttributeDefinition(description = "SHA-256 of the publisher's 1.root.json: the pin (needed until this server trusts a root)")
        String root_sha256() default "";

        @AttributeDefinition(description = "Trust the publisher root the upstream serves first, without a pin. Explicit and visible")
        boolean trust_on_first_use() default false;

        @AttributeDefinition(description = "Seconds between syncs; 0: only on demand ('patchfleet admin sync trigger')", min = "0")
        long interval_seconds() default 3600;

        @AttributeDefinition(description = "Connect timeout (seconds)", min = "1")
        long connect_timeout_seconds() default 10;

        @AttributeDefinition(description = "Seconds an answer may take to start, or a download may stall, before the run fails", min = "1")
        long read_timeout_seconds() default 60;

        @AttributeDefinition(description = "Modules downloaded at once (connections to the upstream); 1: one after another",
                min = "1", max = "32")
        int download_parallelism() default 4;

        @AttributeDefinition(description = "Keep only these architectures (x86_64, aarch64); empty: all")
        String[] architectures() default {};

        @AttributeDefinition(description = "Keep only these flavours (generic, aws, cloud-amd64); empty: all")
        String[] flavours() default {};

        @AttributeDefinition(description = "Keep only kernels of at least this version (5.15, 6.1.0); empty: all")
        String min_kernel_version() default "";

        @AttributeDefinition(description = "Keep only these kernel series, as release prefixes (5.15, 6.1.0-13); empty: all")
        String[] kernel_series() default {};

        @AttributeDefinition(description = "How new patches get tiers: local (they land in the first local tier; admins promote) "
                + "or mirror (promoted to the local tier named like the upstream's)",
                options = {@Option(value = "local", label = "local promotion"), @Option(value = "mirror", label = "mirror upstream tiers")})
        String tiers() default "local";

        @AttributeDefinition(description = "HTTP proxy as host:port or http://host:port; empty: $https_proxy / $http_proxy, else direct")
        String proxy() default "";

        @AttributeDefinition(description = "Hosts reached without the proxy (comma separated; .domain suffixes; *); empty: $no_proxy")
        String no_proxy() default "";

        @AttributeDefinition(description = "Reports to the upstream after each successful sync (opt-in): off (nothing is sent); "
                + "summary (this deployment's random id and machine counts per tier and patch state); machines (also each "
                + "machine's tier, kernel, patch state and version, its id replaced by an HMAC with this server's report secret)",
                options = {@Option(value = "off", label = "off"), @Option(value = "summary", label = "deployment id and machine counts"),
                        @Option(value = "machines", label = "also per-machine states with hashed machine ids")})
        String upstream_reports() default "off";
    }

    private final CatalogMirror mirror;
    private final PatchCatalog catalog;
    private final TierStore tierStore;
    private final BlobStore blobs;
    private final UpstreamWithdrawals withdrawals;
    private final UpstreamReporter reporter;
    private final Path syncDir;
    private final ScheduledExecutorService runner;
    private final List<ServiceRegistration<Route>> registrations = new ArrayList<>();
    private volatile Config config;
    private ScheduledFuture<?> schedule;
    private final Object lock = new Object();
    /** Guarded by {@link #lock}. */
    private final Map<String, Object> status;
    private volatile HttpUpstream running;
    /** The last complete run's listing (sync thread only), reused when the upstream answers 304. */
    private HttpUpstream.Listing lastListing;
    private String lastListingKey;
    /** Guarded by {@link #lock}. */
    private HttpClient client;
    private String clientKey;
    private volatile boolean queued;

    @Activate
    public HttpSync(BundleContext context, Config config, @Reference CatalogMirror mirror, @Reference PatchCatalog catalog,
            @Reference TierStore tiers, @Reference BlobStore blobs, @Reference UpstreamWithdrawals withdrawals,
            @Reference MachineStore machines) {
        this(Path.of(context.getProperty("patchfleet.data"), "sync"), config, mirror, catalog, tiers, blobs, withdrawals,
                new UpstreamReporter(Path.of(context.getProperty("patchfleet.data"), "sync"), machines,
                        context.getBundle().getVersion().toString()));
        for (Route r : routes()) {
            registrations.add(context.registerService(Route.class, r, null));
        }
    }

    HttpSync(Path syncDir, Config config, CatalogMirror mirror, PatchCatalog catalog, TierStore tiers, BlobStore blobs,
            UpstreamWithdrawals withdrawals, UpstreamReporter reporter) {
        this.withdrawals = withdrawals;
        this.reporter = reporter;
        this.mirror = mirror;
        this.catalog = catalog;
        this.tierStore = tiers;
        this.blobs = blobs;
        this.syncDir = syncDir;
        this.status = loadStatus(syncDir.resolve("status.json"));
        this.runner = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "patchfleet-sync"));
        configure(config);
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    @Modified
    void configure(Config config) {
        synchronized (lock) {
            this.config = config;
            if (schedule != null) {
                schedule.cancel(false);
                schedule = null;
            }
            status.put("upstream", config.upstream_url().isBlank() ? null : config.upstream_url());
            if (config.upstream_url().isBlank()) {
                LOG.info("No upstream configured ({}.cfg: upstream.url): sync is off", PID);
                return;
            }
            queued = true;
            long interval = config.interval_seconds();
            schedule = interval > 0
                    ? runner.scheduleWithFixedDelay(this::runQuietly, 0, interval, TimeUnit.SECONDS)
                    : runner.schedule(this::runQuietly, 0, TimeUnit.SECONDS);
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
        runner.shutdownNow();
    }

    @Override
    public SyncStatus trigger() throws SyncException {
        if (config.upstream_url().isBlank()) {
            throw new SyncException(SyncException.Reason.NOT_CONFIGURED, "no upstream is configured (" + PID + ".cfg: upstream.url)");
        }
        synchronized (lock) {
            if (!queued && running == null) {
                queued = true;
                runner.execute(this::runQuietly);
            }
        }
        return status();
    }

    @Override
    public SyncStatus status() {
        Map<String, Object> s = view();
        SyncStatus.State state = switch (String.valueOf(s.get("state"))) {
            case "disabled" -> SyncStatus.State.DISABLED;
            case "queued" -> SyncStatus.State.QUEUED;
            case "running" -> SyncStatus.State.RUNNING;
            default -> SyncStatus.State.IDLE;
        };
        return new SyncStatus(state, instant(s.get("lastAttempt")), instant(s.get("lastSuccess")),
                Optional.ofNullable((String) s.get("lastError")), new SyncCursor("timestamp-" + number(s.get("timestampVersion"))),
                number(s.get("metadataFiles")), number(s.get("blobs")), number(s.get("bytes")),
                Duration.ofMillis(number(s.get("durationMs"))));
    }

    /** The status as the admin API shows it, live counters included while a run goes on. */
    Map<String, Object> view() {
        Map<String, Object> withdrawn = withdrawnCounts(); // a database read: not under the lock
        synchronized (lock) {
            Map<String, Object> v = new LinkedHashMap<>(status);
            HttpUpstream r = running;
            String state = config.upstream_url().isBlank() ? "disabled" : r != null ? "running" : queued ? "queued" : "idle";
            v.put("state", state);
            v.putAll(withdrawn);
            if (r != null) {
                v.put("step", r.step);
                v.put("metadataFiles", r.metadataFiles.get());
                v.put("blobs", r.blobs.get());
                v.put("bytes", r.bytes.get());
            }
            return v;
        }
    }

    private void runQuietly() {
        try {
            runOnce();
        } catch (RuntimeException e) {
            LOG.error("Sync run failed unexpectedly", e);
        }
    }

    /** One run; its outcome is recorded in the status, never thrown. */
    void runOnce() {
        Config c = config;
        if (c.upstream_url().isBlank()) {
            return;
        }
        Instant start = Instant.now();
        long run;
        HttpUpstream source;
        try {
            source = source(c);
        } catch (IllegalArgumentException e) {
            record(0, start, null, null, new SyncException(SyncException.Reason.NOT_CONFIGURED, e.getMessage()));
            return;
        }
        synchronized (lock) {
            queued = false;
            running = source;
            run = number(status.get("run")) + 1;
            status.put("run", run);
            status.put("lastAttempt", start.toString());
        }
        LOG.info("Sync run {} from {} started", run, c.upstream_url());
        try {
            String listingKey = c.upstream_url() + "|" + c.token();
            HttpUpstream.Listing previous = listingKey.equals(lastListingKey) ? lastListing : null;
            TrustAnchor anchor = anchor(c);
            source.step = "metadata";
            // The listing is asked for while the TUF requests go on (one round trip fewer one after the
            // other); the mirror reads it only once the timestamp is verified (HttpUpstream#startListing).
            source.startListing(Optional.ofNullable(previous));
            MirrorResult result;
            try {
                result = mirror.update(source, anchor);
            } catch (SyncException e) {
                // A failed listing (a refused token, say) is the cause to report, not the mirror's view of it.
                Optional<IOException> listingFailure = source.listingFailure();
                if (listingFailure.isPresent()) {
                    throw listingFailure.get();
                }
                throw e;
            }
            HttpUpstream.Listing listing = source.awaitListing();
            source.step = "catalog";
            int[] changes = applyCatalog(c, source, result);
            source.cleanUp(hex -> {
                try {
                    return blobs.exists(Sha256.of(hex));
                } catch (StoreException | IllegalArgumentException e) {
                    return false;
                }
            });
            lastListing = listing; // kept only after a complete run: a failed one re-reads it whole
            lastListingKey = listingKey;
            record(run, start, source, new Object[] {result, changes}, null);
            report(c, run);
        } catch (SyncException e) {
            record(run, start, source, null, e);
        } catch (IOException e) {
            SyncException se = e.getCause() instanceof SyncException s ? s
                    : new SyncException(SyncException.Reason.UNREACHABLE, e.getMessage(), e);
            record(run, start, source, null, se);
        } catch (StoreException e) {
            record(run, start, source, null, new SyncException(SyncException.Reason.STORAGE, e.getMessage(), e));
        }
    }

    /** Withdrawals and tier mirroring: [revoked, promoted, kept (withdrawn upstream, kept enabled by an admin here)]. */
    private int[] applyCatalog(Config c, HttpUpstream source, MirrorResult result) throws StoreException {
        Map<String, PatchRelease> byTarget = new LinkedHashMap<>();
        for (PatchRelease r : result.releases()) {
            byTarget.put(r.targetName(), r);
        }
        int revoked = 0;
        int kept = 0;
        for (HttpUpstream.Listed w : source.withdrawn()) {
            PatchRelease r = byTarget.get(w.target());
            if (r == null) {
                // not mirrored here (filtered, or never offered to this tier): look it up by kernel in the catalog
                continue;
            }
            if (catalog.find(r.kernel(), r.version()).isEmpty()) {
                continue;
            }
            // Revocation travels (revoked here in this sync) unless an admin here keeps the release: then it stays
            // offered, flagged "enabled (!)" (UpstreamWithdrawals; README "Upstream sync").
            switch (withdrawals.recordWithdrawal(r.kernel(), r.version(), "withdrawn by the upstream " + c.upstream_url()
                    + " (revoked by its admin)")) {
                case REVOKED -> {
                    revoked++;
                    LOG.info("Sync: {} v{} withdrawn by the upstream; revoked here (machines running it are told to disable it)",
                            r.kernel(), r.version());
                }
                case KEPT -> {
                    kept++;
                    LOG.warn("Sync: {} v{} withdrawn by the upstream, but an admin here keeps it enabled: it stays offered, "
                            + "shown as 'enabled (!)' ('patchfleet admin patch unkeep' revokes it)", r.kernel(), r.version());
                }
                case UNCHANGED -> {
                    // known already
                }
            }
        }
        int promoted = 0;
        if ("mirror".equals(c.tiers())) {
            Set<TierName> local = new java.util.HashSet<>();
            tierStore.tiers().forEach(t -> local.add(t.name()));
            for (HttpUpstream.Listed l : source.listed().values()) {
                PatchRelease r = byTarget.get(l.target());
                if (r == null || r.revoked() || l.tier().isEmpty()) {
                    continue;
                }
                TierName tier;
                try {
                    tier = TierName.of(l.tier());
                } catch (IllegalArgumentException e) {
                    continue;
                }
                if (!local.contains(tier)) {
                    continue;
                }
                Optional<PatchRelease> here = catalog.find(r.kernel(), r.version());
                if (here.isPresent() && !here.get().revoked() && catalog.promote(r.kernel(), r.version(), tier)) {
                    promoted++;
                }
            }
        }
        return new int[] {revoked, promoted, kept};
    }

    private void record(long run, Instant start, HttpUpstream source, Object[] ok, SyncException error) {
        Instant end = Instant.now();
        synchronized (lock) {
            running = null;
            status.put("finishedRun", run);
            status.put("durationMs", Duration.between(start, end).toMillis());
            status.put("step", ok != null ? "done" : "failed");
            if (source != null) {
                status.put("metadataFiles", source.metadataFiles.get());
                status.put("metadataBytes", source.metadataBytes.get());
                status.put("blobs", source.blobs.get());
                status.put("bytes", source.bytes.get());
            }
            if (ok != null) {
                MirrorResult result = (MirrorResult) ok[0];
                int[] changes = (int[]) ok[1];
                status.put("lastSuccess", end.toString());
                status.put("lastError", null);
                status.put("lastErrorReason", null);
                status.put("timestampVersion", result.timestampVersion());
                status.put("snapshotVersion", result.snapshotVersion());
                status.put("roles", result.roles());
                status.put("releases", result.releases().size());
                status.put("added", result.added());
                status.put("revoked", changes[0]);
                status.put("promoted", changes[1]);
                status.put("keptDespiteWithdrawal", changes[2]);
                LOG.info("Sync run {} from {} done in {} ms: timestamp v{}, {} releases, {} new or newly revoked, {} withdrawn, "
                        + "{} promoted, {} modules ({} bytes), {} metadata files", run, describe(source), status.get("durationMs"),
                        result.timestampVersion(), result.releases().size(), result.added(), changes[0], changes[1],
                        status.get("blobs"), status.get("bytes"), status.get("metadataFiles"));
            } else {
                status.put("lastError", error.getMessage());
                status.put("lastErrorReason", error.reason().name().toLowerCase(java.util.Locale.ROOT).replace('_', '-'));
                status.put("lastErrorRun", run);
                status.put("lastErrorAt", end.toString());
                LOG.error("Sync run {} from {} failed ({}): {}; this server keeps serving its last verified state", run,
                        describe(source), error.reason(), error.getMessage());
            }
            saveStatus();
        }
    }

    private static String describe(HttpUpstream source) {
        return source == null ? "?" : source.describe();
    }

    private HttpUpstream source(Config c) {
        URI base = URI.create(c.upstream_url().endsWith("/") ? c.upstream_url() : c.upstream_url() + "/");
        if (!"http".equals(base.getScheme()) && !"https".equals(base.getScheme())) {
            throw new IllegalArgumentException("upstream.url must be an http or https URL: " + c.upstream_url());
        }
        if (c.token().isBlank()) {
            throw new IllegalArgumentException("no sync token configured (" + PID + ".cfg: token)");
        }
        return new HttpUpstream(client(c, base), base, c.token().trim(), Duration.ofSeconds(c.read_timeout_seconds()),
                syncDir.resolve("partial"),
                SyncFilter.of(c.architectures(), c.flavours(), c.min_kernel_version(), c.kernel_series()), r -> {
                    try {
                        return catalog.find(r.kernel(), r.version()).isPresent();
                    } catch (StoreException e) {
                        return false;
                    }
                }, c.download_parallelism());
    }

    /**
     * One HTTP client for every run while its settings stay the same: building one (TLS context,
     * selector thread) took longer than a whole no-change sync, and its connections are reused.
     * HTTP/1.1: the sync API is served as such, and an h2c upgrade offer on every request only
     * adds headers.
     */
    private HttpClient client(Config c, URI base) {
        String key = c.connect_timeout_seconds() + "|" + base.getScheme() + "|" + c.proxy() + "|" + c.no_proxy() + "|"
                + env("http_proxy") + "|" + env("https_proxy") + "|" + env("no_proxy");
        synchronized (lock) {
            if (client == null || !key.equals(clientKey)) {
                HttpClient.Builder b = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(c.connect_timeout_seconds()))
                        .followRedirects(HttpClient.Redirect.NEVER).version(HttpClient.Version.HTTP_1_1);
                proxy(c, base).ifPresent(b::proxy);
                if ("http".equals(base.getScheme())) {
                    b.sslContext(PLAIN_HTTP_ONLY.get());
                }
                client = b.build();
                clientKey = key;
            }
            return client;
        }
    }

    /**
     * The TLS context of a client for a plain-HTTP upstream, which never opens a TLS connection
     * (redirects are not followed; every request goes to the same base). Without one, building
     * the client loads the JDK's default context with every CA certificate: ~0.1-0.15 s at the
     * start of a server's first sync, before its first request (BENCHMARKS.md, sync). It trusts
     * no server, so a TLS connection made through it by mistake fails instead of going unchecked.
     */
    static final java.util.function.Supplier<javax.net.ssl.SSLContext> PLAIN_HTTP_ONLY = () -> {
        try {
            javax.net.ssl.SSLContext ctx = javax.net.ssl.SSLContext.getInstance("TLS");
            ctx.init(new javax.net.ssl.KeyManager[0], new javax.net.ssl.TrustManager[] {HttpSync.TRUSTS_NO_ONE}, null);
            return ctx;
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException("no TLS in this JVM", e);
        }
    };

    /** The trust of {@link #PLAIN_HTTP_ONLY}: no peer. */
    static final javax.net.ssl.X509TrustManager TRUSTS_NO_ONE = new javax.net.ssl.X509TrustManager() {
        @Override
        public void checkClientTrusted(java.security.cert.X509Certificate[] chain, String authType)
                throws java.security.cert.CertificateException {
            throw new java.security.cert.CertificateException("a plain-HTTP upstream's client trusts no TLS peer");
        }

        @Override
        public void checkServerTrusted(java.security.cert.X509Certificate[] chain, String authType)
                throws java.security.cert.CertificateException {
            throw new java.security.cert.CertificateException("a plain-HTTP upstream's client trusts no TLS server");
        }

        @Override
        public java.security.cert.X509Certificate[] getAcceptedIssuers() {
            return new java.security.cert.X509Certificate[0];
        }
    };

    /** The configured proxy, else the environment's; {@code no.proxy} hosts go direct. */
    static Optional<ProxySelector> proxy(Config c, URI base) {
        String spec = c.proxy().isBlank() ? env("https".equals(base.getScheme()) ? "https_proxy" : "http_proxy") : c.proxy();
        if (spec == null || spec.isBlank()) {
            return Optional.empty();
        }
        String noProxy = c.no_proxy().isBlank() ? env("no_proxy") : c.no_proxy();
        URI p = URI.create(spec.contains("://") ? spec : "http://" + spec);
        InetSocketAddress address = InetSocketAddress.createUnresolved(p.getHost(), p.getPort() < 0 ? 3128 : p.getPort());
        List<String> direct = noProxy == null ? List.of()
                : java.util.Arrays.stream(noProxy.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
        return Optional.of(new ProxySelector() {
            @Override
            public List<Proxy> select(URI uri) {
                String host = uri.getHost() == null ? "" : uri.getHost();
                for (String d : direct) {
                    if (d.equals("*") || host.equals(d) || (d.startsWith(".") && host.endsWith(d)) || host.endsWith("." + d)) {
                        return List.of(Proxy.NO_PROXY);
                    }
                }
                return List.of(new Proxy(Proxy.Type.HTTP, address));
            }

            @Override
            public void connectFailed(URI uri, SocketAddress sa, IOException ioe) {
                LOG.warn("Proxy {} failed for {}: {}", sa, uri, ioe.getMessage());
            }
        });
    }

    private static String env(String name) {
        String v = System.getenv(name);
        return v != null ? v : System.getenv(name.toUpperCase(java.util.Locale.ROOT));
    }

    private static TrustAnchor anchor(Config c) throws SyncException {
        if (!c.root_sha256().isBlank()) {
            try {
                return TrustAnchor.pinned(Sha256.of(c.root_sha256().trim().toLowerCase(java.util.Locale.ROOT)));
            } catch (IllegalArgumentException e) {
                throw new SyncException(SyncException.Reason.NOT_CONFIGURED, "root.sha256 is not a SHA-256 in hex");
            }
        }
        if (c.trust_on_first_use()) {
            LOG.warn("Trusting the first publisher root the upstream serves, without a pin (trust.on.first.use=true)");
            return TrustAnchor.trustOnFirstUse();
        }
        throw new SyncException(SyncException.Reason.NOT_CONFIGURED, "no trust anchor for the publisher: set root.sha256 (sha256sum "
                + "of the publisher's metadata/1.root.json) in " + PID + ".cfg, or trust.on.first.use=true");
    }

    // ---- upstream withdrawals and upstream reports (issue 6 items 3 and 7)

    /**
     * How many releases the upstream withdrew are offered here anyway ("enabled (!)": an admin keeps
     * them) and how many are blocked (revoked here because of it), with the enabled ones named.
     */
    private Map<String, Object> withdrawnCounts() {
        Map<String, Object> out = new LinkedHashMap<>();
        try {
            List<Map<String, Object>> enabled = new ArrayList<>();
            long blocked = 0;
            for (UpstreamWithdrawal w : withdrawals.flagged()) {
                if (w.enabledDespiteWithdrawal()) {
                    Map<String, Object> m = new LinkedHashMap<>();
                    m.put("kernel", w.kernel().release());
                    m.put("architecture", w.kernel().architecture());
                    m.put("version", w.version());
                    m.put("withdrawnAt", w.withdrawnAt().map(Instant::toString).orElse(null));
                    m.put("keptBy", w.keptBy().orElse(null));
                    enabled.add(m);
                } else if (w.withdrawn() && w.revokedBy().isPresent()) {
                    blocked++;
                }
            }
            out.put("upstreamWithdrawnEnabled", enabled.size());
            out.put("upstreamWithdrawnBlocked", blocked);
            out.put("upstreamWithdrawnEnabledPatches", enabled);
        } catch (StoreException e) {
            out.put("upstreamWithdrawnEnabled", null);
            out.put("upstreamWithdrawnError", e.getMessage());
        }
        return out;
    }

    /**
     * After a successful sync: the opt-in report to the upstream ({@code upstream.reports}). Its outcome
     * goes to the status ({@code reports}, {@code lastReport}, {@code lastReportError}) and the log; a
     * failed report never fails the sync.
     */
    private void report(Config c, long run) {
        UpstreamReporter.Mode mode;
        try {
            mode = UpstreamReporter.Mode.of(c.upstream_reports());
        } catch (IllegalArgumentException e) {
            LOG.error("Upstream report not sent: {}", e.getMessage());
            recordReport(c.upstream_reports(), null, e.getMessage());
            return;
        }
        if (mode == UpstreamReporter.Mode.OFF) {
            recordReport("off", null, null);
            return;
        }
        URI base = URI.create(c.upstream_url().endsWith("/") ? c.upstream_url() : c.upstream_url() + "/");
        try {
            UpstreamReporter.Sent sent = reporter.send(client(c, base), base, c.token().trim(),
                    Duration.ofSeconds(c.read_timeout_seconds()), mode);
            LOG.info("Upstream report ({}) after sync run {} sent to {}: deployment {}, {} machines, {} request(s), {} bytes",
                    mode.wireName(), run, c.upstream_url(), sent.deploymentId(), sent.machines(), sent.requests(), sent.bytes());
            recordReport(mode.wireName(), sent, null);
        } catch (SyncException | RuntimeException e) {
            LOG.error("Upstream report ({}) after sync run {} to {} failed: {}", mode.wireName(), run, c.upstream_url(), e.getMessage());
            recordReport(mode.wireName(), null, e.getMessage());
        }
    }

    private void recordReport(String mode, UpstreamReporter.Sent sent, String error) {
        synchronized (lock) {
            status.put("reports", mode);
            if (sent != null) {
                Map<String, Object> last = new LinkedHashMap<>();
                last.put("at", Instant.now().toString());
                last.put("deploymentId", sent.deploymentId());
                last.put("machines", sent.machines());
                last.put("requests", sent.requests());
                last.put("bytes", sent.bytes());
                status.put("lastReport", last);
                status.put("lastReportError", null);
            } else if (error != null) {
                status.put("lastReportError", error);
            }
            saveStatus();
        }
    }

    // ---- status persistence

    @SuppressWarnings("unchecked")
    private static Map<String, Object> loadStatus(Path file) {
        try {
            if (Files.isRegularFile(file)) {
                return new LinkedHashMap<>(JSON.readValue(file.toFile(), Map.class));
            }
        } catch (IOException e) {
            LOG.warn("Sync status {} unreadable ({}); starting a new one", file, e.getMessage());
        }
        return new LinkedHashMap<>();
    }

    private void saveStatus() {
        try {
            Files.createDirectories(syncDir);
            Path tmp = syncDir.resolve("status.json.tmp");
            Files.write(tmp, JSON.writeValueAsBytes(status));
            try (var ch = java.nio.channels.FileChannel.open(tmp, java.nio.file.StandardOpenOption.WRITE)) {
                ch.force(true);
            }
            Files.move(tmp, syncDir.resolve("status.json"), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            LOG.warn("Cannot save the sync status: {}", e.getMessage());
        }
    }

    private static long number(Object o) {
        return o instanceof Number n ? n.longValue() : 0;
    }

    private static Optional<Instant> instant(Object o) {
        return o instanceof String s ? Optional.of(Instant.parse(s)) : Optional.empty();
    }

    // ---- admin routes

    List<Route> routes() {
        return List.of(route("POST", "/v1/admin/sync/trigger", "operator", r -> {
            try {
                trigger();
            } catch (SyncException e) {
                throw new ApiException(409, "not-configured", "Sync is not configured on this server: " + e.getMessage());
            }
            Map<String, Object> v = view();
            v.put("run", number(v.get("run")) + ("queued".equals(v.get("state")) ? 1 : 0));
            return ApiResponse.json(202, v);
        }), route("GET", "/v1/admin/sync/status", "auditor", r -> ApiResponse.ok(view())),
                route("GET", "/v1/admin/store/verify", "auditor", r -> {
                    try {
                        return ApiResponse.ok(new StoreVerification(catalog, blobs, syncDir.resolve("partial")).run());
                    } catch (StoreException | IOException e) {
                        throw new ApiException(503, "unavailable", "The store cannot be read: " + e.getMessage());
                    }
                }),
                route("GET", "/v1/admin/sync/export", "operator", this::export),
                route("POST", "/v1/admin/sync/import", "operator", this::importBundle));
    }

    public record ImportRequest(String path, String rootSha256) {}

    /** Most bytes of an export, built in memory: use --since, --tier or filters beyond it. */
    static final long MAX_EXPORT_BYTES = 512L * 1024 * 1024;

    private ApiResponse export(ApiRequest r) throws ApiException {
        try {
            SyncFilter filter = SyncFilter.of(param(r, "architectures"), param(r, "flavours"),
                    r.queryParameter("min-kernel-version").orElse(""), param(r, "kernel-series"));
            Optional<Instant> since = r.queryParameter("since").map(HttpSync::since);
            List<io.patchfleet.model.Tier> ordered = new ArrayList<>(tierStore.tiers());
            ordered.sort(java.util.Comparator.comparingInt(io.patchfleet.model.Tier::position));
            if (ordered.isEmpty()) {
                throw ApiException.badRequest("no-tiers", "This server has no tiers, so no patches to export");
            }
            TierName tier = r.queryParameter("tier").map(TierName::of).orElse(ordered.get(0).name());
            List<PatchRelease> releases = new ArrayList<>();
            for (PatchRelease p : catalog.findAvailableTo(tier)) {
                if (filter.accepts(p.kernel()) && (since.isEmpty() || !p.publishedAt().isBefore(since.get()))) {
                    releases.add(p);
                }
            }
            Path metadata = mirrorDir().resolve("metadata");
            if (!Files.isRegularFile(metadata.resolve("timestamp.json"))) {
                throw new ApiException(409, "nothing-to-export", "This server has no verified publisher metadata yet");
            }
            byte[] zip = OfflineBundle.export(metadata, releases, blobs, Instant.now(), MAX_EXPORT_BYTES);
            LOG.info("Exported an offline bundle: {} modules, {} bytes (tier {}, since {})", releases.size(), zip.length,
                    tier.value(), since.map(Instant::toString).orElse("-"));
            return new ApiResponse(200, Map.of("Content-Disposition", "attachment; filename=\"patchfleet-offline.zip\"",
                    "X-Patchfleet-Modules", String.valueOf(releases.size())), null, zip, "application/zip");
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest("invalid-argument", String.valueOf(e.getMessage()));
        } catch (StoreException e) {
            throw e.reason() == StoreException.Reason.NOT_FOUND ? ApiException.notFound(e.getMessage())
                    : new ApiException(503, "unavailable", "The server's storage is unavailable; try again");
        } catch (IOException e) {
            throw new ApiException(413, "too-large", String.valueOf(e.getMessage()));
        }
    }

    private static String[] param(ApiRequest r, String name) {
        return r.queryParameters().getOrDefault(name, List.of()).toArray(String[]::new);
    }

    /** An RFC 3339 time, a date, or a duration back from now (7d, 24h). */
    static Instant since(String value) {
        String v = value.trim();
        try {
            if (v.matches("\\d+[smhd]")) {
                long n = Long.parseLong(v.substring(0, v.length() - 1));
                Duration d = switch (v.charAt(v.length() - 1)) {
                    case 's' -> Duration.ofSeconds(n);
                    case 'm' -> Duration.ofMinutes(n);
                    case 'h' -> Duration.ofHours(n);
                    default -> Duration.ofDays(n);
                };
                return Instant.now().minus(d);
            }
            if (v.matches("\\d{4}-\\d{2}-\\d{2}")) {
                return java.time.LocalDate.parse(v).atStartOfDay(java.time.ZoneOffset.UTC).toInstant();
            }
            return Instant.parse(v);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("since must be a time (2026-03-01T10:00:00Z), a date (2026-03-01) or a duration (7d)");
        }
    }

    private Path mirrorDir() {
        return syncDir.resolveSibling("mirror");
    }

    private ApiResponse importBundle(ApiRequest r) throws ApiException {
        ImportRequest body = r.bodyAs(ImportRequest.class);
        if (body.path() == null || body.path().isBlank()) {
            throw ApiException.badRequest("invalid-argument", "path: the bundle file on the server's host is required");
        }
        Path file = Path.of(body.path());
        if (!file.isAbsolute() || !Files.isRegularFile(file) || !Files.isReadable(file)) {
            throw ApiException.badRequest("no-such-file", "No readable bundle file " + file + " on the server's host "
                    + "(the path must be absolute and readable by the server process)");
        }
        TrustAnchor anchor;
        try {
            String pin = body.rootSha256() != null && !body.rootSha256().isBlank() ? body.rootSha256() : config.root_sha256();
            if (!pin.isBlank()) {
                anchor = TrustAnchor.pinned(Sha256.of(pin.trim().toLowerCase(java.util.Locale.ROOT)));
            } else if (Files.isRegularFile(mirrorDir().resolve("metadata").resolve("1.root.json"))) {
                anchor = TrustAnchor.trustOnFirstUse(); // not consulted: the mirror's stored root is the base of trust
            } else {
                throw ApiException.badRequest("no-trust-anchor", "This server trusts no publisher root yet: give rootSha256 "
                        + "(sha256sum of the publisher's metadata/1.root.json), or set root.sha256 in " + PID + ".cfg");
            }
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest("invalid-argument", "rootSha256 is not a SHA-256 in hex");
        }
        Config c = config;
        SyncFilter filter = SyncFilter.of(c.architectures(), c.flavours(), c.min_kernel_version(), c.kernel_series());
        Instant start = Instant.now();
        try (OfflineBundle.Source source = new OfflineBundle.Source(file, filter, rel -> {
            try {
                return catalog.find(rel.kernel(), rel.version()).isPresent();
            } catch (StoreException e) {
                return false;
            }
        })) {
            MirrorResult result = mirror.update(source, anchor);
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("file", file.toString());
            out.put("timestampVersion", result.timestampVersion());
            out.put("releases", result.releases().size());
            out.put("added", result.added());
            out.put("modules", result.blobs());
            out.put("bytes", result.blobBytes());
            out.put("durationMs", Duration.between(start, Instant.now()).toMillis());
            LOG.info("Imported offline bundle {}: timestamp v{}, {} releases, {} new or newly revoked, {} modules stored",
                    file, result.timestampVersion(), result.releases().size(), result.added(), result.blobs());
            return ApiResponse.ok(out);
        } catch (SyncException e) {
            LOG.error("Import of offline bundle {} refused ({}): {}", file, e.reason(), e.getMessage());
            throw switch (e.reason()) {
                case VERIFICATION_FAILED -> new ApiException(422, "verification-failed", "The bundle does not verify; nothing "
                        + "was imported: " + e.getMessage());
                case STORAGE -> new ApiException(503, "unavailable", "The server's storage failed: " + e.getMessage());
                default -> ApiException.badRequest("invalid-bundle", e.getMessage());
            };
        }
    }

    @FunctionalInterface
    interface Handler {
        ApiResponse handle(ApiRequest r) throws ApiException;
    }

    private static Route route(String method, String path, String role, Handler h) {
        return new Route() {
            @Override
            public String method() {
                return method;
            }

            @Override
            public String path() {
                return path;
            }

            @Override
            public Scope scope() {
                return Scope.ADMIN;
            }

            @Override
            public Set<String> roles() {
                return Set.of(role);
            }

            @Override
            public ApiResponse handle(ApiRequest request) throws ApiException {
                return h.handle(request);
            }

            @Override
            public String toString() {
                return method + " " + path + " [" + role + "]";
            }
        };
    }
}
