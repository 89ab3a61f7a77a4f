-- Patchfleet schema, version 5: rollout state per release and tier (RolloutStore). Standard SQL, as V1.
-- No foreign key to tiers: a deleted tier leaves its rollout rows as history, and deleting a
-- tier must not fail because a release was once rolled out to it.

CREATE TABLE rollouts (
    kernel_release VARCHAR(64) NOT NULL,
    kernel_arch VARCHAR(32) NOT NULL,
    kernel_flavour VARCHAR(32) NOT NULL,
    kernel_build VARCHAR(256) NOT NULL,
    patch_version BIGINT NOT NULL,
    tier_name VARCHAR(63) NOT NULL,
    rollout_state VARCHAR(16) NOT NULL,
    available_since TIMESTAMP(6) WITH TIME ZONE NOT NULL,
    started_at TIMESTAMP(6) WITH TIME ZONE,
    approved_at TIMESTAMP(6) WITH TIME ZONE,
    advanced_steps INTEGER NOT NULL,
    rollout_cause VARCHAR(512) NOT NULL,
    revert_on_halt BOOLEAN NOT NULL,
    updated_at TIMESTAMP(6) WITH TIME ZONE NOT NULL,
    PRIMARY KEY (kernel_release, kernel_arch, kernel_flavour, kernel_build, patch_version, tier_name)
);
