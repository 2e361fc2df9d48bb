-- Encryption at rest of the ID numbers in stored feed rows (issue 8). Conventions as in 0001.
-- A person target (`P:<ID number>`) is sealed with the field cipher in an encrypted database;
-- `target_lookup` is what a search for a target compares with, as `person_versions.id_lookup`:
-- the target itself in a plain database, `P:` + the HMAC-SHA256 lookup key of the ID number in
-- an encrypted one. Household and region targets are not personal data and stay as they are.
ALTER TABLE feed_rows ADD COLUMN target_lookup TEXT;
UPDATE feed_rows SET target_lookup = target;
DROP INDEX feed_rows_target;
CREATE INDEX feed_rows_target_lookup ON feed_rows (target_lookup);
