package io.patchfleet.store.api;

import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * The last report of a downstream deployment (an on-prem server that syncs from this one and
 * opted in to upstream reports).
 *
 * @param deploymentId the downstream's stable random id: {@code [A-Za-z0-9-]{8,64}}
 * @param tokenId the sync token it reported with
 * @param tokenName that token's name
 * @param mode {@code summary} or {@code machines} (per-machine states with hashed ids)
 * @param serverVersion the downstream's Patchfleet version as it says (at most 64 characters)
 * @param firstReportAt when this server first heard from it
 * @param lastReportAt when this server last heard from it
 * @param machines how many machines the downstream has enrolled
 * @param tiers machines per downstream tier
 * @param states machines per last patch state ({@code applied}, {@code needs-check}, …)
 * @param machineStates how many per-machine states this server holds for it (0 in summary mode)
 */
public record DownstreamReport(String deploymentId, String tokenId, String tokenName, String mode, String serverVersion,
        Instant firstReportAt, Instant lastReportAt, long machines, Map<String, Long> tiers, Map<String, Long> states,
        long machineStates) {
    private static final Pattern DEPLOYMENT_ID = Pattern.compile("[A-Za-z0-9-]{8,64}");
    private static final Pattern KEY = Pattern.compile("[a-z0-9][a-z0-9._-]{0,62}");

    public DownstreamReport {
        checkDeploymentId(deploymentId);
        Objects.requireNonNull(tokenId, "tokenId");
        Objects.requireNonNull(tokenName, "tokenName");
        if (!"summary".equals(mode) && !"machines".equals(mode)) {
            throw new IllegalArgumentException("report mode must be summary or machines");
        }
        Objects.requireNonNull(serverVersion, "serverVersion");
        if (serverVersion.length() > 64) {
            throw new IllegalArgumentException("server version longer than 64 characters");
        }
        Objects.requireNonNull(firstReportAt, "firstReportAt");
        Objects.requireNonNull(lastReportAt, "lastReportAt");
        if (machines < 0 || machineStates < 0) {
            throw new IllegalArgumentException("counts must not be negative");
        }
        tiers = counts(tiers, "tier");
        states = counts(states, "state");
    }

    private static Map<String, Long> counts(Map<String, Long> in, String what) {
        Objects.requireNonNull(in, what + " counts");
        if (in.size() > 128) {
            throw new IllegalArgumentException("more than 128 " + what + " counts");
        }
        Map<String, Long> out = new TreeMap<>();
        in.forEach((k, v) -> {
            if (k == null || !KEY.matcher(k).matches()) {
                throw new IllegalArgumentException("not a " + what + " name: " + k);
            }
            if (v == null || v < 0) {
                throw new IllegalArgumentException(what + " count must not be negative: " + k);
            }
            out.put(k, v);
        });
        return java.util.Collections.unmodifiableMap(out);
    }

    /** Checks a deployment id: 8–64 letters, digits and dashes (a UUID fits). */
    public static String checkDeploymentId(String id) {
        if (id == null || !DEPLOYMENT_ID.matcher(id).matches()) {
            throw new IllegalArgumentException("a deployment id has 8-64 letters, digits and dashes");
        }
        return id;
    }
}
