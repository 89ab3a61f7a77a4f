-- Patchfleet schema, version 8. Standard SQL, as V1.
-- Why a release is revoked, whether the upstream withdrew it, and an admin's decision to keep it
-- enabled anyway (UpstreamWithdrawals: KernelCare's "Blocked" and "Enabled (!)"). revoked_by is
-- publisher, local or upstream; NULL on a revoked row means revoked before this version.
ALTER TABLE patch_releases ADD COLUMN revoked_by VARCHAR(16);
ALTER TABLE patch_releases ADD COLUMN withdrawn_at TIMESTAMP(6) WITH TIME ZONE;
ALTER TABLE patch_releases ADD COLUMN withdrawn_reason VARCHAR(512);
ALTER TABLE patch_releases ADD COLUMN kept_by VARCHAR(128);
ALTER TABLE patch_releases ADD COLUMN kept_at TIMESTAMP(6) WITH TIME ZONE;
ALTER TABLE patch_releases ADD COLUMN kept_reason VARCHAR(512);

-- Opt-in reports of downstream deployments (DownstreamReports), kept by their upstream. Counts per
-- tier and per state are "name=count" pairs separated by commas (names are checked [a-z0-9._-]).
CREATE TABLE downstream_deployments (
    deployment_id VARCHAR(64) NOT NULL PRIMARY KEY,
    token_id VARCHAR(64) NOT NULL,
    token_name VARCHAR(64) NOT NULL,
    report_mode VARCHAR(16) NOT NULL,
    server_version VARCHAR(64) NOT NULL,
    report_id VARCHAR(64) NOT NULL,
    first_report_at TIMESTAMP(6) WITH TIME ZONE NOT NULL,
    last_report_at TIMESTAMP(6) WITH TIME ZONE NOT NULL,
    machine_count BIGINT NOT NULL,
    tier_counts VARCHAR(16384) NOT NULL,
    state_counts VARCHAR(16384) NOT NULL
);

CREATE TABLE downstream_machines (
    deployment_id VARCHAR(64) NOT NULL REFERENCES downstream_deployments (deployment_id) ON DELETE CASCADE,
    machine_hash VARCHAR(64) NOT NULL,
    tier_name VARCHAR(63) NOT NULL,
    kernel_release VARCHAR(64) NOT NULL,
    patch_state VARCHAR(32) NOT NULL,
    patch_version BIGINT NOT NULL,
    last_seen TIMESTAMP(6) WITH TIME ZONE,
    PRIMARY KEY (deployment_id, machine_hash)
);
