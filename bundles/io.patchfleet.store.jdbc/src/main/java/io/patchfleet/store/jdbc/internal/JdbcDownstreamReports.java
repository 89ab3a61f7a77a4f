package io.patchfleet.store.jdbc.internal;

import io.patchfleet.model.PatchState;
import io.patchfleet.store.api.DownstreamMachine;
import io.patchfleet.store.api.DownstreamReport;
import io.patchfleet.store.api.DownstreamReports;
import io.patchfleet.store.api.StoreException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/** {@link DownstreamReports} over JDBC (tables {@code downstream_deployments}, {@code downstream_machines}, migration V8). */
@Component(service = DownstreamReports.class)
public final class JdbcDownstreamReports implements DownstreamReports {
    private static final String COLUMNS = "d.deployment_id, d.token_id, d.token_name, d.report_mode, d.server_version, "
            + "d.first_report_at, d.last_report_at, d.machine_count, d.tier_counts, d.state_counts, "
            + "(SELECT COUNT(*) FROM downstream_machines m WHERE m.deployment_id = d.deployment_id) AS machine_states";

    private final Database db;

    @Activate
    public JdbcDownstreamReports(@Reference Database db) {
        this.db = db;
    }

    @Override
    public void record(DownstreamReport report, String reportId, int batch, List<DownstreamMachine> machines) throws StoreException {
        Objects.requireNonNull(report, "report");
        if (reportId == null || reportId.isEmpty() || reportId.length() > 64) {
            throw new IllegalArgumentException("report id must have 1..64 characters");
        }
        if (batch < 0) {
            throw new IllegalArgumentException("batch must not be negative");
        }
        List<DownstreamMachine> states = List.copyOf(machines);
        db.inTransaction(c -> {
            String id = report.deploymentId();
            Instant now = Sql.micros(db.clock().instant());
            boolean known = Sql.queryLong(c, "SELECT COUNT(*) FROM downstream_deployments WHERE deployment_id = ?", id) > 0;
            if (batch == 0) {
                if (known) {
                    Sql.update(c, "UPDATE downstream_deployments SET token_id = ?, token_name = ?, report_mode = ?, server_version = ?, "
                            + "report_id = ?, last_report_at = ?, machine_count = ?, tier_counts = ?, state_counts = ? "
                            + "WHERE deployment_id = ?", report.tokenId(), report.tokenName(), report.mode(), report.serverVersion(),
                            reportId, now, report.machines(), encode(report.tiers()), encode(report.states()), id);
                    Sql.update(c, "DELETE FROM downstream_machines WHERE deployment_id = ?", id);
                } else {
                    Sql.update(c, "INSERT INTO downstream_deployments (deployment_id, token_id, token_name, report_mode, "
                            + "server_version, report_id, first_report_at, last_report_at, machine_count, tier_counts, state_counts) "
                            + "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", id, report.tokenId(), report.tokenName(), report.mode(),
                            report.serverVersion(), reportId, now, now, report.machines(), encode(report.tiers()),
                            encode(report.states()));
                }
            } else {
                long same = Sql.queryLong(c, "SELECT COUNT(*) FROM downstream_deployments WHERE deployment_id = ? AND report_id = ?",
                        id, reportId);
                if (same == 0) {
                    throw new StoreException(StoreException.Reason.CONFLICT, "batch " + batch + " of report " + reportId
                            + " does not follow that report's first batch (stale or out of order); send the report again");
                }
                Sql.update(c, "UPDATE downstream_deployments SET last_report_at = ? WHERE deployment_id = ?", now, id);
            }
            if (!states.isEmpty()) {
                // a hash sent twice within a report keeps its last state (MERGE is not portable; delete, then insert)
                try (PreparedStatement del = c.prepareStatement("DELETE FROM downstream_machines WHERE deployment_id = ? AND machine_hash = ?");
                        PreparedStatement ins = c.prepareStatement("INSERT INTO downstream_machines (deployment_id, machine_hash, "
                                + "tier_name, kernel_release, patch_state, patch_version, last_seen) VALUES (?, ?, ?, ?, ?, ?, ?)")) {
                    Map<String, DownstreamMachine> unique = new LinkedHashMap<>();
                    states.forEach(m -> unique.put(m.machineHash(), m));
                    for (DownstreamMachine m : unique.values()) {
                        if (batch > 0) {
                            Sql.bind(del, id, m.machineHash()).executeUpdate();
                        }
                        Sql.bind(ins, id, m.machineHash(), m.tier(), m.kernelRelease(), m.state().wireName(), m.patchVersion());
                        if (m.lastSeen().isPresent()) {
                            Sql.setInstant(ins, 7, m.lastSeen().get());
                        } else {
                            ins.setNull(7, java.sql.Types.TIMESTAMP_WITH_TIMEZONE);
                        }
                        ins.addBatch();
                    }
                    ins.executeBatch();
                }
            }
            return null;
        });
    }

    @Override
    public List<DownstreamReport> list() throws StoreException {
        return db.inTransaction(c -> reports(c, "SELECT " + COLUMNS + " FROM downstream_deployments d ORDER BY d.last_report_at DESC, "
                + "d.deployment_id"));
    }

    @Override
    public Optional<DownstreamReport> find(String deploymentId) throws StoreException {
        DownstreamReport.checkDeploymentId(deploymentId);
        return db.inTransaction(c -> reports(c, "SELECT " + COLUMNS + " FROM downstream_deployments d WHERE d.deployment_id = ?",
                deploymentId).stream().findFirst());
    }

    @Override
    public List<DownstreamMachine> machines(String deploymentId, int offset, int limit) throws StoreException {
        DownstreamReport.checkDeploymentId(deploymentId);
        if (offset < 0 || limit < 1) {
            throw new IllegalArgumentException("offset must not be negative and limit positive");
        }
        return db.inTransaction(c -> {
            List<DownstreamMachine> out = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement("SELECT machine_hash, tier_name, kernel_release, patch_state, patch_version, "
                    + "last_seen FROM downstream_machines WHERE deployment_id = ? ORDER BY machine_hash OFFSET ? ROWS FETCH FIRST ? ROWS ONLY")) {
                try (ResultSet rs = Sql.bind(ps, deploymentId, offset, limit).executeQuery()) {
                    while (rs.next()) {
                        out.add(new DownstreamMachine(rs.getString(1), rs.getString(2), rs.getString(3), PatchState.fromWire(rs.getString(4)),
                                rs.getLong(5), Optional.ofNullable(Sql.instant(rs, "last_seen"))));
                    }
                }
            }
            return out;
        });
    }

    private static List<DownstreamReport> reports(Connection c, String sql, Object... args) throws SQLException {
        List<DownstreamReport> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            try (ResultSet rs = Sql.bind(ps, args).executeQuery()) {
                while (rs.next()) {
                    out.add(new DownstreamReport(rs.getString("deployment_id"), rs.getString("token_id"), rs.getString("token_name"),
                            rs.getString("report_mode"), rs.getString("server_version"), Sql.instant(rs, "first_report_at"),
                            Sql.instant(rs, "last_report_at"), rs.getLong("machine_count"), decode(rs.getString("tier_counts")),
                            decode(rs.getString("state_counts")), rs.getLong("machine_states")));
                }
            }
        }
        return out;
    }

    /** {@code name=count,…}: names are checked by {@link DownstreamReport} ({@code [a-z0-9._-]}), so no escaping is needed. */
    static String encode(Map<String, Long> counts) {
        StringBuilder b = new StringBuilder();
        counts.forEach((k, v) -> b.append(b.length() == 0 ? "" : ",").append(k).append('=').append(v));
        return b.toString();
    }

    static Map<String, Long> decode(String text) {
        Map<String, Long> out = new LinkedHashMap<>();
        if (text != null && !text.isEmpty()) {
            for (String pair : text.split(",")) {
                int eq = pair.indexOf('=');
                out.put(pair.substring(0, eq), Long.parseLong(pair.substring(eq + 1)));
            }
        }
        return out;
    }
}
