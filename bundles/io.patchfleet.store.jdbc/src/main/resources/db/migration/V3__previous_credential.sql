-- Patchfleet schema, version 3: re-enrollment keeps the machine's last working credential valid
-- until the new one is first used (JdbcEnrollmentStore), so that a machine whose re-enable it
-- refused itself (wrong publisher root, no metadata yet) or whose answer was lost keeps working.
ALTER TABLE machines ADD COLUMN previous_credential_hash VARCHAR(64);
CREATE INDEX machines_previous_credential ON machines (previous_credential_hash);
