package io.patchfleet.server.http.internal;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Map;

import org.osgi.framework.Constants;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.osgi.service.servlet.runtime.HttpServiceRuntime;
import org.osgi.service.servlet.runtime.HttpServiceRuntimeConstants;
import org.osgi.service.servlet.whiteboard.propertytypes.HttpWhiteboardServletPattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.patchfleet.server.api.ApiException;
import io.patchfleet.server.api.ApiResponse;
import io.patchfleet.server.api.Authenticator;
import io.patchfleet.server.api.Route;
import io.patchfleet.server.api.Scope;
import jakarta.servlet.Servlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

/**
 * The one servlet of the server: routes every request to a {@link Route} service, checks the
 * route's scope, bounds the body, writes JSON, and counts requests per route template.
 *
 * <p>Routes come and go at run time (dynamic, multiple): the table is rebuilt and swapped on each
 * change, so an updated route bundle serves its new code on the next request with no restart.
 */
@Component(service = Servlet.class, immediate = true, configurationPid = RouterServlet.PID,
        configurationPolicy = ConfigurationPolicy.OPTIONAL,
        property = "patchfleet.ready=http")
@HttpWhiteboardServletPattern("/*")
@Designate(ocd = RouterServlet.Config.class)
public class RouterServlet extends HttpServlet {
    private static final long serialVersionUID = 1L;
    static final String PID = "io.patchfleet.server.http";
    private static final Logger LOG = LoggerFactory.getLogger(RouterServlet.class);

    @ObjectClassDefinition(name = "Patchfleet HTTP API", description = "Limits of the server's HTTP API")
    public @interface Config {
        @AttributeDefinition(name = "Maximum request body", description = "Largest request body in bytes; larger bodies get 413", min = "1024")
        long max_body_bytes() default 1_048_576;

        @AttributeDefinition(name = "Concurrent requests", description = "Requests served at once; more wait up to the queue timeout, then get 503", min = "1")
        int max_concurrent_requests() default 512;

        @AttributeDefinition(name = "Queue timeout", description = "Milliseconds a request waits for a free slot before 503", min = "0")
        long queue_timeout_ms() default 200;

        @AttributeDefinition(name = "Rate limit per address", description = "Requests per second one client address may make; more get 429. 0: no limit", min = "0")
        int rate_limit_per_address() default 0;

        @AttributeDefinition(name = "Access log", description = "One JSON line per request (request id, route, status, "
                + "duration, principal) in DATA/log/access.log")
        boolean access_log() default false;

        @AttributeDefinition(name = "Access log size (MB)", description = "Rotate the access log at this size", min = "1")
        long access_log_max_mb() default 100;

        @AttributeDefinition(name = "Access log files", description = "Rotated access logs kept", min = "1", max = "100")
        int access_log_files() default 5;
        @AttributeDefinition(name = "Hold during a swap", description = "Milliseconds a machine or sync request waits while runtime management swaps a bundle, then 503", min = "0")
        long swap_hold_ms() default 30_000;
    }

    /** The request attribute carrying the authenticated principal's name, for the access log. */
    static final String PRINCIPAL_ATTRIBUTE = "io.patchfleet.principal";

    /** Probes and scrapes are answered even when the server is saturated. */
    private static final java.util.Set<String> UNLIMITED = java.util.Set.of("/v1/health", "/v1/ready", "/metrics");

    private final transient HttpMetrics metrics;
    private final transient Authenticators authenticators = new Authenticators();
    private volatile RouteTable table = RouteTable.EMPTY;
    private volatile long maxBodyBytes;
    private volatile Limits limits;
    private final transient String dataDir;
    private transient AccessLog accessLog; // guarded by this
    private transient volatile AccessLog currentAccessLog; // what requests write to
    private volatile long swapHoldMs;
    private final transient SwapGate gate = new SwapGate();

    /**
     * The HTTP runtime is a mandatory reference so that this servlet, and the readiness property
     * it carries, exist only once Jetty serves.
     */
    @Activate
    public RouterServlet(@Reference HttpMetrics metrics,
            @Reference(service = HttpServiceRuntime.class) Map<String, Object> runtime, Config config,
            org.osgi.framework.BundleContext context) {
        this.metrics = metrics;
        this.dataDir = context.getProperty("patchfleet.data");
        accessLog(config);
        this.maxBodyBytes = config.max_body_bytes();
        this.limits = new Limits(config.max_concurrent_requests(), config.queue_timeout_ms(), config.rate_limit_per_address());
        this.swapHoldMs = config.swap_hold_ms();
        Object endpoint = runtime.get(HttpServiceRuntimeConstants.HTTP_SERVICE_ENDPOINT);
        LOG.info("HTTP API serving on {}", endpoint instanceof String[] a ? String.join(", ", a) : endpoint);
    }

    @Modified
    void modified(Config config) {
        accessLog(config);
        this.swapHoldMs = config.swap_hold_ms();
        this.maxBodyBytes = config.max_body_bytes();
        this.limits = new Limits(config.max_concurrent_requests(), config.queue_timeout_ms(), config.rate_limit_per_address());
    }

    /** Opens, re-opens or closes the access log to match the configuration. */
    private synchronized void accessLog(Config config) {
        currentAccessLog = null;
        if (accessLog != null) {
            accessLog.close();
            accessLog = null;
        }
        if (!config.access_log()) {
            return;
        }
        java.nio.file.Path file = java.nio.file.Path.of(dataDir == null ? "." : dataDir, "log", "access.log");
        try {
            accessLog = new AccessLog(file, config.access_log_max_mb() << 20, config.access_log_files());
            currentAccessLog = accessLog;
        } catch (IOException e) {
            LOG.error("Access log {} cannot be opened; requests are not logged: {}", file, e.toString());
        }
    }

    @org.osgi.service.component.annotations.Deactivate
    synchronized void deactivate() {
        currentAccessLog = null;
        if (accessLog != null) {
            accessLog.close();
            accessLog = null;
        }
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    synchronized void addRoute(Route route, Map<String, Object> props) {
        if (route.path() == null || !route.path().startsWith("/") || route.method() == null || route.scope() == null) {
            LOG.warn("Ignoring route {} with an invalid method, path or scope", route);
            return;
        }
        int ranking = props.get(Constants.SERVICE_RANKING) instanceof Integer r ? r : 0;
        long id = (Long) props.get(Constants.SERVICE_ID);
        table = table.with(new RouteTable.Entry(route, RouteTable.split(route.path()), ranking, id));
        LOG.debug("Route {} {} added", route.method(), route.path());
    }

    synchronized void removeRoute(Route route) {
        table = table.without(route);
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addAuthenticator(Authenticator authenticator, Map<String, Object> props) {
        int ranking = props.get(Constants.SERVICE_RANKING) instanceof Integer r ? r : 0;
        authenticators.add(authenticator, ranking, (Long) props.get(Constants.SERVICE_ID));
    }

    void removeAuthenticator(Authenticator authenticator) {
        authenticators.remove(authenticator);
    }

    /** A bundle swap by runtime management begins (see {@link SwapGate}); called on the swapping thread. */
    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC, service = Object.class,
            target = "(patchfleet.swap=*)")
    void addSwap(Object marker, Map<String, Object> props) {
        LOG.info("Holding machine requests: {}", props.get("patchfleet.swap"));
        gate.close(Math.min(swapHoldMs, 10_000));
    }

    void removeSwap(Object marker, Map<String, Object> props) {
        gate.open();
        LOG.info("Machine requests flow again after: {}", props.get("patchfleet.swap"));
    }

    /** Probes, metrics and the admin API are never held by a swap. */
    private static boolean held(String path) {
        return !UNLIMITED.contains(path) && !path.startsWith("/v1/admin/");
    }

    @Override
    protected void service(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        long start = System.nanoTime();
        String method = req.getMethod();
        String routeLabel = "unmatched";
        String requestId = RequestIds.of(req.getHeader(RequestIds.HEADER));
        resp.setHeader(RequestIds.HEADER, requestId);
        req.setAttribute(RequestIds.HEADER, requestId);
        Limits limits = this.limits;
        boolean acquired = false;
        boolean entered = false;
        try {
            String path = (req.getServletPath() == null ? "" : req.getServletPath())
                    + (req.getPathInfo() == null ? "" : req.getPathInfo());
            if (held(path)) {
                try {
                    entered = gate.enter(swapHoldMs);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                if (!entered) {
                    metrics.rejected("swapping");
                    resp.setHeader("Retry-After", "5");
                    JsonErrors.write(resp, 503, "swapping", "The server is replacing a component; retry shortly");
                    return;
                }
            }
            if (!UNLIMITED.contains(path)) {
                if (!limits.allow(req.getRemoteAddr())) {
                    metrics.rejected("rate-limited");
                    resp.setHeader("Retry-After", "1");
                    JsonErrors.write(resp, 429, "too-many-requests", "Too many requests from this address; retry after a second");
                    return;
                }
                acquired = limits.acquire();
                if (!acquired) {
                    metrics.rejected("overloaded");
                    resp.setHeader("Retry-After", "1");
                    JsonErrors.write(resp, 503, "overloaded", "The server is at its concurrency limit; retry shortly");
                    return;
                }
            }
            RouteTable.Match match = table.find(method, path.isEmpty() ? "/" : path);
            if (match instanceof RouteTable.Found found) {
                routeLabel = found.entry().template();
                serve(found, req, resp, path, requestId);
            } else if (match instanceof RouteTable.MethodNotAllowed mna) {
                routeLabel = mna.template();
                resp.setHeader("Allow", String.join(", ", mna.allowed()));
                JsonErrors.write(resp, 405, "method-not-allowed",
                        method + " is not allowed on " + path + "; allowed: " + String.join(", ", mna.allowed()));
            } else {
                JsonErrors.write(resp, 404, "not-found", "No route for " + method + " " + path);
            }
        } finally {
            if (entered) {
                gate.leave();
            }
            if (acquired) {
                limits.release();
            }
            long nanos = System.nanoTime() - start;
            metrics.record(method, routeLabel, resp.getStatus(), nanos);
            AccessLog log = currentAccessLog;
            if (log != null) {
                log.record(requestId, req.getRemoteAddr(), method, req.getRequestURI(), routeLabel, resp.getStatus(), nanos,
                        req.getAttribute(PRINCIPAL_ATTRIBUTE) instanceof String who ? who : null);
            }
        }
    }

    private void serve(RouteTable.Found found, HttpServletRequest req, HttpServletResponse resp, String path,
            String requestId) throws IOException {
        Route route = found.entry().route();
        try {
            byte[] body = readBody(req);
            ServletApiRequest request = new ServletApiRequest(req, path, found.parameters(), body);
            if (route.scope() != Scope.PUBLIC) {
                request.principal(authenticators.authenticate(route, request, req.getHeader("Authorization")));
                request.principal().ifPresent(p -> req.setAttribute(PRINCIPAL_ATTRIBUTE, p.name()));
            }
            ApiResponse response = route.handle(request);
            write(req, resp, response);
        } catch (ApiException e) {
            JsonErrors.write(resp, e.status(), e.code(), e.getMessage());
        } catch (RuntimeException e) {
            LOG.error("Route {} {} failed (request {})", route.method(), route.path(), requestId, e);
            JsonErrors.write(resp, 500, "server-error", "The server failed to answer; see its log (request " + requestId + ")");
        }
    }

    private byte[] readBody(HttpServletRequest req) throws IOException, ApiException {
        long limit = maxBodyBytes;
        long declared = req.getContentLengthLong();
        if (declared > limit) {
            throw new ApiException(413, "body-too-large", "Request body of " + declared + " bytes exceeds the limit of " + limit);
        }
        if (declared == 0) {
            return new byte[0];
        }
        if (declared > 0 && declared <= 16 << 20) {
            // The usual case: read straight into a body-sized array (no copy buffer, no growth).
            // Larger declared bodies (a limit raised past 16 MB) take the growing path below.
            byte[] body = new byte[(int) declared];
            try (InputStream in = req.getInputStream()) {
                int off = 0;
                while (off < body.length) {
                    int n = in.read(body, off, body.length - off);
                    if (n < 0) {
                        throw ApiException.badRequest("truncated-body", "The request body ended after " + off + " of "
                                + declared + " declared bytes");
                    }
                    off += n;
                }
            }
            return body;
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(declared > 0 ? (int) declared : 1024);
        byte[] buffer = new byte[8192];
        try (InputStream in = req.getInputStream()) {
            int n;
            while ((n = in.read(buffer)) > 0) {
                out.write(buffer, 0, n);
                if (out.size() > limit) {
                    throw new ApiException(413, "body-too-large", "Request body exceeds the limit of " + limit + " bytes");
                }
            }
        }
        return out.toByteArray();
    }

    private static void write(HttpServletRequest req, HttpServletResponse resp, ApiResponse response) throws IOException {
        resp.setStatus(response.status());
        response.headers().forEach(resp::setHeader);
        if (response.stream() != null) {
            resp.setContentType(response.contentType());
            resp.setContentLengthLong(response.stream().length());
            if (!"HEAD".equals(req.getMethod())) {
                // Headers go out with the first bytes; a writer failing after that ends the
                // connection (the servlet container aborts a response shorter than its length).
                response.stream().writer().writeTo(resp.getOutputStream());
            }
            return;
        }
        byte[] bytes;
        if (response.json() != null) {
            bytes = JsonErrors.MAPPER.writeValueAsBytes(response.json());
            resp.setContentType("application/json");
            resp.setCharacterEncoding("UTF-8");
        } else if (response.raw() != null) {
            bytes = response.raw();
            resp.setContentType(response.contentType());
        } else {
            return;
        }
        resp.setContentLength(bytes.length);
        if (!"HEAD".equals(req.getMethod())) {
            resp.getOutputStream().write(bytes);
        }
    }
}
