package io.patchfleet.server.machines.internal;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.patchfleet.model.PatchState;
import io.patchfleet.server.api.ApiException;
import io.patchfleet.server.api.ApiRequest;
import io.patchfleet.server.api.ApiResponse;
import io.patchfleet.server.api.Principal;
import io.patchfleet.server.api.Route;
import io.patchfleet.server.api.Scope;
import io.patchfleet.store.api.AuditLog;
import io.patchfleet.store.api.DownstreamMachine;
import io.patchfleet.store.api.DownstreamReport;
import io.patchfleet.store.api.DownstreamReports;
import io.patchfleet.store.api.StoreException;

/**
 * {@code POST /v1/sync/reports}: a downstream server's opt-in report (scope {@code sync}: the
 * same sync token it syncs with; a missing, unknown, expired or revoked token gets 401 from the
 * router). The body is checked whole before anything is stored (400 {@code invalid-report} naming
 * the field); the router caps bodies at its {@code max.body.bytes} (413), and a batch holds at
 * most {@link #MAX_MACHINES_PER_BATCH} machine states (413 {@code too-many-machines}). Machine
 * ids must arrive hashed (64 hex digits): a raw id is refused, so an upstream never stores one.
 *
 * <p>The first report of a deployment, and a deployment that changes sync token, are written to
 * the audit log (actor {@code sync-token:NAME}); every report is logged.
 */
@Component(immediate = true, service = {})
public final class DownstreamReportApi {
    static final int MAX_MACHINES_PER_BATCH = 5000;
    private static final Logger LOG = LoggerFactory.getLogger(DownstreamReportApi.class);
    private static final Logger SECURITY = LoggerFactory.getLogger("io.patchfleet.security");

    /** The body as the downstream sends it (io.patchfleet.sync.http UpstreamReporter). */
    public record Body(String deploymentId, String mode, String serverVersion, String reportId, Integer batch, Long machines,
            Map<String, Long> tiers, Map<String, Long> states, List<MachineState> machineStates) {}

    public record MachineState(String id, String tier, String kernel, String state, Long patchVersion, String lastSeen) {}

    private final DownstreamReports reports;
    private final AuditLog audit;
    private final List<ServiceRegistration<Route>> registrations = new ArrayList<>();

    @Activate
    public DownstreamReportApi(BundleContext context, @Reference DownstreamReports reports, @Reference AuditLog audit) {
        this(reports, audit);
        registrations.add(context.registerService(Route.class, route(), null));
    }

    DownstreamReportApi(DownstreamReports reports, AuditLog audit) {
        this.reports = reports;
        this.audit = audit;
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

    Route route() {
        return new Route() {
            @Override
            public String method() {
                return "POST";
            }

            @Override
            public String path() {
                return "/v1/sync/reports";
            }

            @Override
            public Scope scope() {
                return Scope.SYNC;
            }

            @Override
            public ApiResponse handle(ApiRequest request) throws ApiException {
                return receive(request);
            }

            @Override
            public String toString() {
                return "POST /v1/sync/reports [sync]";
            }
        };
    }

    ApiResponse receive(ApiRequest request) throws ApiException {
        Principal p = request.principal().orElseThrow(() -> new ApiException(401, "unauthorized", "A sync token is required"));
        String tokenId = p.roles().stream().filter(r -> r.startsWith(SyncAuthenticator.TOKEN_ROLE))
                .map(r -> r.substring(SyncAuthenticator.TOKEN_ROLE.length())).findFirst()
                .orElseThrow(() -> new ApiException(403, "forbidden", "This credential is not a sync token"));
        Body body = request.bodyAs(Body.class);
        if (body.machineStates() != null && body.machineStates().size() > MAX_MACHINES_PER_BATCH) {
            throw new ApiException(413, "too-many-machines", "A report batch holds at most " + MAX_MACHINES_PER_BATCH
                    + " machine states; send more batches of the same reportId");
        }
        Instant now = Instant.now();
        DownstreamReport report;
        List<DownstreamMachine> machines = new ArrayList<>();
        int batch;
        String reportId;
        try {
            batch = body.batch() == null ? 0 : body.batch();
            if (batch < 0 || batch > 100_000) {
                throw new IllegalArgumentException("batch must be 0..100000");
            }
            reportId = required(body.reportId(), "reportId");
            if (reportId.length() > 64) {
                throw new IllegalArgumentException("reportId: at most 64 characters");
            }
            String mode = required(body.mode(), "mode");
            if (!"summary".equals(mode) && !"machines".equals(mode)) {
                throw new IllegalArgumentException("mode must be summary or machines");
            }
            if ("summary".equals(mode) && body.machineStates() != null && !body.machineStates().isEmpty()) {
                throw new IllegalArgumentException("a summary report carries no machineStates");
            }
            if (batch == 0 && body.machines() == null) {
                throw new IllegalArgumentException("machines: the machine count is required in batch 0");
            }
            report = new DownstreamReport(required(body.deploymentId(), "deploymentId"), tokenId, p.name(), mode,
                    body.serverVersion() == null ? "" : body.serverVersion(), now, now, body.machines() == null ? 0 : body.machines(),
                    body.tiers() == null ? Map.of() : body.tiers(), body.states() == null ? Map.of() : body.states(), 0);
            if (body.machineStates() != null) {
                for (MachineState m : body.machineStates()) {
                    if (m == null) {
                        throw new IllegalArgumentException("machineStates: an entry is null");
                    }
                    if (m.id() == null || !m.id().matches("[0-9a-f]{64}")) {
                        throw new IllegalArgumentException("machineStates: id must be the machine id's HMAC-SHA-256 in lower-case "
                                + "hex (64 digits), never the machine id itself");
                    }
                    machines.add(new DownstreamMachine(m.id(), required(m.tier(), "machineStates.tier"),
                            m.kernel() == null ? "" : m.kernel(), PatchState.fromWire(required(m.state(), "machineStates.state")),
                            m.patchVersion() == null ? 0 : m.patchVersion(),
                            m.lastSeen() == null ? Optional.empty() : Optional.of(Instant.parse(m.lastSeen()))));
                }
            }
        } catch (IllegalArgumentException | java.time.format.DateTimeParseException e) {
            throw ApiException.badRequest("invalid-report", String.valueOf(e.getMessage()));
        }
        try {
            Optional<DownstreamReport> before = batch == 0 ? reports.find(report.deploymentId()) : Optional.empty();
            reports.record(report, reportId, batch, machines);
            if (batch == 0) {
                if (before.isEmpty()) {
                    audit.append("sync-token:" + p.name(), "downstream.first-report", report.deploymentId(), "",
                            "{\"tokenId\":\"" + tokenId + "\",\"mode\":\"" + report.mode() + "\",\"machines\":" + report.machines() + "}");
                    LOG.info("New downstream deployment {} reports with sync token {} ({})", report.deploymentId(), p.name(), tokenId);
                } else if (!before.get().tokenId().equals(tokenId)) {
                    audit.append("sync-token:" + p.name(), "downstream.token-changed", report.deploymentId(),
                            "{\"tokenId\":\"" + before.get().tokenId() + "\"}", "{\"tokenId\":\"" + tokenId + "\"}");
                    SECURITY.warn("Downstream deployment {} now reports with sync token {} ({}), before with {} ({})",
                            report.deploymentId(), p.name(), tokenId, before.get().tokenName(), before.get().tokenId());
                }
            }
            LOG.info("Downstream report from deployment {} (sync token {}): {} batch {}, {} machines, {} machine states",
                    report.deploymentId(), p.name(), report.mode(), batch, report.machines(), machines.size());
        } catch (StoreException e) {
            if (e.reason() == StoreException.Reason.CONFLICT) {
                throw new ApiException(409, "conflict", e.getMessage());
            }
            throw new ApiException(503, "unavailable", "The server's storage is unavailable; retry later");
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("deploymentId", report.deploymentId());
        out.put("reportId", reportId);
        out.put("batch", batch);
        out.put("machineStates", machines.size());
        return ApiResponse.json(202, out);
    }

    private static String required(String v, String field) {
        if (v == null || v.isBlank()) {
            throw new IllegalArgumentException(field + " is required");
        }
        return v;
    }
}
