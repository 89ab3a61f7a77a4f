package io.patchfleet.server.admin.internal;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import io.patchfleet.model.Cve;
import io.patchfleet.model.Machine;
import io.patchfleet.model.MachineReport;
import io.patchfleet.model.PatchRelease;
import io.patchfleet.store.api.AuditEntry;
import io.patchfleet.store.api.UpstreamWithdrawal;
import io.patchfleet.store.api.EnrollmentToken;
import io.patchfleet.store.api.MachineStatus;
import io.patchfleet.store.api.StoredReport;
import io.patchfleet.store.api.User;

/**
 * The JSON shapes of the admin API, as ordered maps (times as RFC 3339 strings, so the router's
 * mapper needs no date module). One place, so the API, the audit log and the CLI agree.
 */
final class Views {
    private Views() {}

    static String time(Instant t) {
        return t == null ? null : t.toString();
    }

    static String time(Optional<Instant> t) {
        return t.map(Instant::toString).orElse(null);
    }

    static Map<String, Object> user(User u) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", u.name());
        m.put("role", u.role());
        m.put("createdAt", time(u.createdAt()));
        m.put("passwordChangedAt", time(u.passwordChangedAt()));
        m.put("lastLoginAt", time(u.lastLoginAt()));
        m.put("lockedUntil", time(u.lockedUntil().filter(Instant.now()::isBefore)));
        return m;
    }

    static Map<String, Object> token(EnrollmentToken t, Instant now) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", t.id());
        m.put("tier", t.tier().value());
        m.put("description", t.description());
        m.put("createdBy", t.createdBy());
        m.put("createdAt", time(t.createdAt()));
        m.put("expiresAt", time(t.expiresAt()));
        m.put("maxUses", t.maxUses());
        m.put("uses", t.uses());
        m.put("revoked", t.revoked());
        m.put("usable", t.usableAt(now));
        return m;
    }

    static Map<String, Object> machine(Machine machine, Optional<StoredReport> last) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", machine.id().value());
        m.put("tier", machine.tier().value());
        m.put("tags", machine.tags().stream().sorted().toList());
        m.put("enrolledAt", time(machine.enrolledAt()));
        m.put("lastSeen", last.map(r -> time(r.receivedAt())).orElse(null));
        MachineReport r = last.map(StoredReport::report).orElse(null);
        m.put("kernel", r == null ? null : r.kernel().release());
        m.put("architecture", r == null ? null : r.kernel().architecture());
        m.put("patchState", r == null ? null : r.patchState().wireName());
        m.put("patchVersion", r == null ? null : r.patchVersion());
        m.put("clientVersion", r == null ? null : r.clientVersion());
        return m;
    }

    /** The last rollout decision of a machine: offer, hold (with its reason and not-before) or revert. */
    static Map<String, Object> decision(io.patchfleet.store.api.RolloutDecision d) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("outcome", d.outcome());
        m.put("reason", d.reason());
        m.put("notBefore", d.notBefore().map(Views::time).orElse(null));
        m.put("since", time(d.decidedAt()));
        return m;
    }

    static Map<String, Object> machine(MachineStatus s) {
        return machine(s.machine(), s.lastReport());
    }

    static Map<String, Object> report(StoredReport stored) {
        MachineReport r = stored.report();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("receivedAt", time(stored.receivedAt()));
        m.put("kernel", Map.of("release", r.kernel().release(), "architecture", r.kernel().architecture(),
                "flavour", r.kernel().flavour(), "build", r.kernel().build()));
        m.put("patchState", r.patchState().wireName());
        m.put("patchVersion", r.patchVersion());
        m.put("clientVersion", r.clientVersion());
        m.put("bootTime", time(r.bootTime()));
        m.put("uptimeSeconds", r.uptime().toSeconds());
        m.put("events", r.events().stream().map(e -> {
            Map<String, Object> ev = new LinkedHashMap<>();
            ev.put("kind", e.kind().wireName());
            ev.put("time", time(e.time()));
            ev.put("patchVersion", e.patchVersion());
            ev.put("detail", e.detail());
            return ev;
        }).toList());
        return m;
    }

    static Map<String, Object> patch(PatchRelease p, String promotedTo) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("kernel", p.kernel().release());
        m.put("architecture", p.kernel().architecture());
        m.put("flavour", p.kernel().flavour());
        m.put("build", p.kernel().build());
        m.put("version", p.version());
        m.put("module", p.moduleName());
        m.put("sha256", p.sha256().hex());
        m.put("length", p.length());
        m.put("publishedAt", time(p.publishedAt()));
        m.put("supersedes", p.supersedes());
        m.put("cves", p.cves().stream().map(Cve::id).toList());
        m.put("severity", p.highestSeverity().wireName());
        m.put("revoked", p.revoked());
        m.put("promotedTo", promotedTo);
        m.put("description", p.description());
        return m;
    }

    /**
     * Adds what a patch's row shows about the upstream (KernelCare's "Blocked" and "Enabled (!)"):
     * {@code state} ({@code enabled}, {@code enabled (!)}, {@code blocked}, {@code revoked}),
     * {@code revokedBy}, {@code upstreamWithdrawn} with when and why, and {@code keptBy}/{@code keptAt}.
     */
    static Map<String, Object> withdrawal(Map<String, Object> m, PatchRelease p, java.util.Optional<UpstreamWithdrawal> w) {
        String state = w.map(UpstreamWithdrawal::state).orElse(p.revoked() ? "revoked" : "enabled");
        m.put("state", state);
        m.put("revokedBy", w.flatMap(UpstreamWithdrawal::revokedBy).map(UpstreamWithdrawal.RevokedBy::wireName)
                .orElse(p.revoked() ? "unknown" : null));
        m.put("upstreamWithdrawn", w.map(UpstreamWithdrawal::withdrawn).orElse(false));
        m.put("upstreamWithdrawnAt", w.flatMap(UpstreamWithdrawal::withdrawnAt).map(Views::time).orElse(null));
        m.put("upstreamWithdrawnReason", w.flatMap(UpstreamWithdrawal::withdrawnReason).orElse(null));
        m.put("keptBy", w.flatMap(UpstreamWithdrawal::keptBy).orElse(null));
        m.put("keptAt", w.flatMap(UpstreamWithdrawal::keptAt).map(Views::time).orElse(null));
        return m;
    }

    static Map<String, Object> audit(AuditEntry e) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", e.id());
        m.put("time", time(e.time()));
        m.put("actor", e.actor());
        m.put("action", e.action());
        m.put("target", e.target());
        m.put("before", e.before());
        m.put("after", e.after());
        return m;
    }

    static Map<String, Object> page(String key, List<?> items, int offset, int limit, Long total) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put(key, items);
        m.put("offset", offset);
        m.put("limit", limit);
        if (total != null) {
            m.put("total", total);
        }
        return m;
    }
}
