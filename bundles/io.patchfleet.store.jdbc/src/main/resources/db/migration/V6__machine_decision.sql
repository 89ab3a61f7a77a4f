-- Patchfleet schema, version 6: the last rollout decision per machine (outcome, held reason,
-- not-before), so "why is this machine not patched" survives a restart and machine lists can
-- filter on it. Written only when the answer a machine gets changes, never per steady check-in.
ALTER TABLE machines ADD COLUMN decision_outcome VARCHAR(8);
ALTER TABLE machines ADD COLUMN decision_reason VARCHAR(1000);
ALTER TABLE machines ADD COLUMN decision_not_before TIMESTAMP(6) WITH TIME ZONE;
ALTER TABLE machines ADD COLUMN decision_at TIMESTAMP(6) WITH TIME ZONE;
