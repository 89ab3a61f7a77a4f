package io.patchfleet.server.admin.internal;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.patchfleet.server.api.ApiException;
import io.patchfleet.server.api.ApiResponse;
import io.patchfleet.store.api.DownstreamMachine;
import io.patchfleet.store.api.DownstreamReport;
import io.patchfleet.store.api.DownstreamReports;

/**
 * What downstream deployments (on-prem servers syncing from this one) reported, opt-in:
 * {@code GET /v1/admin/downstreams} and {@code GET /v1/admin/downstreams/{id}} with the
 * deployment's machine states (hashed machine ids only), auditor.
 */
final class DownstreamRoutes {
    private final DownstreamReports reports;

    DownstreamRoutes(DownstreamReports reports) {
        this.reports = reports;
    }

    List<AdminRoute> routes() {
        return List.of(AdminRoute.of("GET", "/v1/admin/downstreams", Roles.AUDITOR, (r, p) -> {
            List<Map<String, Object>> rows = new ArrayList<>();
            for (DownstreamReport d : reports.list()) {
                rows.add(view(d));
            }
            return ApiResponse.ok(Map.of("downstreams", rows, "total", rows.size()));
        }), AdminRoute.of("GET", "/v1/admin/downstreams/{id}", Roles.AUDITOR, (r, p) -> {
            String id = r.pathParameter("id").orElseThrow();
            try {
                DownstreamReport.checkDeploymentId(id);
            } catch (IllegalArgumentException e) {
                throw ApiException.badRequest("invalid-parameter", e.getMessage());
            }
            DownstreamReport d = reports.find(id).orElseThrow(() -> ApiException.notFound("No downstream deployment " + id));
            int offset = Params.offset(r);
            int limit = Params.limit(r);
            List<Map<String, Object>> machines = new ArrayList<>();
            for (DownstreamMachine m : reports.machines(id, offset, limit)) {
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("machineHash", m.machineHash());
                row.put("tier", m.tier());
                row.put("kernel", m.kernelRelease());
                row.put("state", m.state().wireName());
                row.put("patchVersion", m.patchVersion());
                row.put("lastSeen", m.lastSeen().map(Views::time).orElse(null));
                machines.add(row);
            }
            Map<String, Object> out = view(d);
            out.put("machineList", machines);
            out.put("offset", offset);
            out.put("limit", limit);
            return ApiResponse.ok(out);
        }));
    }

    static Map<String, Object> view(DownstreamReport d) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("deploymentId", d.deploymentId());
        m.put("syncToken", d.tokenName());
        m.put("syncTokenId", d.tokenId());
        m.put("mode", d.mode());
        m.put("serverVersion", d.serverVersion());
        m.put("firstReportAt", Views.time(d.firstReportAt()));
        m.put("lastReportAt", Views.time(d.lastReportAt()));
        m.put("machines", d.machines());
        m.put("tiers", d.tiers());
        m.put("states", d.states());
        m.put("machineStates", d.machineStates());
        return m;
    }
}
