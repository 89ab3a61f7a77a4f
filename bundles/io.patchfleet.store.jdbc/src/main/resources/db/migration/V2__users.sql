-- Patchfleet schema, version 2: administrator accounts (UserStore). Standard SQL, as V1.

CREATE TABLE users (
    user_name VARCHAR(64) NOT NULL PRIMARY KEY,
    user_role VARCHAR(32) NOT NULL,
    password_hash VARCHAR(256) NOT NULL,
    created_at TIMESTAMP(6) WITH TIME ZONE NOT NULL,
    password_changed_at TIMESTAMP(6) WITH TIME ZONE NOT NULL,
    failed_logins INTEGER NOT NULL,
    first_failure_at TIMESTAMP(6) WITH TIME ZONE,
    locked_until TIMESTAMP(6) WITH TIME ZONE,
    last_login_at TIMESTAMP(6) WITH TIME ZONE
);
CREATE INDEX users_role ON users (user_role);

-- Changes to users are serialized (the last admin may be neither demoted nor deleted).
INSERT INTO store_locks (lock_name, lock_counter) VALUES ('users', 0);
