-- Patchfleet schema, version 7: four indexes of the machines table go.
-- HSQLDB writes an updated row as a new row version in every index of its table, so each index
-- costs every full report (state change, reboot, event) and every fold of the last-seen journal
-- two tree walks over the whole fleet. Measured with a million machines, index walks were most of
-- a full report's database time. These four served no hot query:
--   machines_token        no query selects machines by token;
--   machines_last_report  only retention's "is this some machine's last report" test, which now
--                         looks the report's own machine up by primary key;
--   machines_kernel,
--   machines_last_seen    admin filters (machine list, counts) on kernel or last seen; a filter on
--                         last seen already had to scan while journaled values were unfolded.
--                         Such a filter now scans the machines in id order (about a second per
--                         million machines): an operator's report, never a check-in.
-- Kept: the primary key, the credential (unique), the previous credential (authentication
-- before the fleet index is loaded) and tier (tier listings and tier deletion).
DROP INDEX machines_token IF EXISTS;
DROP INDEX machines_last_report IF EXISTS;
DROP INDEX machines_kernel IF EXISTS;
DROP INDEX machines_last_seen IF EXISTS;
