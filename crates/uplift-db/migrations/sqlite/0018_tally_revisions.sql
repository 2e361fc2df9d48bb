-- A revision for every row of `village_tallies` (uplift-db tally.rs): a digest of its state,
-- written with the row. A dashboard read lists the (village, date, revision) of the rows in
-- effect and reads the state only of the rows its in-process cache does not hold at that
-- revision, so a city read after a typed change re-reads only the villages that changed.
ALTER TABLE village_tallies ADD COLUMN revision INTEGER NOT NULL DEFAULT 0;

-- The rows written before have no digest: recompute them all at the next read.
DELETE FROM village_tallies;
INSERT OR IGNORE INTO tally_dirty (household_id) SELECT id FROM households;
