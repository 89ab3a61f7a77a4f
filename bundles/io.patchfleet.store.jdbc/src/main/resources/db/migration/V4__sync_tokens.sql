-- Sync tokens: credentials of downstream servers (scope sync), bound to a tier. Only the
-- SHA-256 of the secret is kept, as for enrollment tokens.
CREATE TABLE sync_tokens (
    token_id VARCHAR(64) NOT NULL PRIMARY KEY,
    secret_hash VARCHAR(64) NOT NULL UNIQUE,
    token_name VARCHAR(64) NOT NULL,
    tier_name VARCHAR(63) NOT NULL REFERENCES tiers (tier_name),
    created_by VARCHAR(128) NOT NULL,
    created_at TIMESTAMP(6) WITH TIME ZONE NOT NULL,
    expires_at TIMESTAMP(6) WITH TIME ZONE NOT NULL,
    revoked BOOLEAN NOT NULL,
    last_used_at TIMESTAMP(6) WITH TIME ZONE
);
CREATE INDEX sync_tokens_name ON sync_tokens (token_name);
