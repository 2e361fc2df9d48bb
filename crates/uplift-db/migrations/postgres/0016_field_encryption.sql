-- Encryption at rest of ID numbers and phones (issue 8). Conventions as in 0001.
-- `id_lookup` is what search by ID number compares with: the ID number itself in a plain
-- database, its HMAC-SHA256 under a key derived from the data key in an encrypted one.
ALTER TABLE person_versions ADD COLUMN id_lookup TEXT;
UPDATE person_versions SET id_lookup = id_number;
CREATE INDEX person_versions_id_lookup ON person_versions (id_lookup);

-- The marker: present (one row) when ID numbers and phones are encrypted. `key_check` is derived
-- from the data key, so a wrong key is refused before anything is read.
CREATE TABLE field_encryption (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    algorithm TEXT NOT NULL,
    key_check TEXT NOT NULL,
    enabled_at TEXT NOT NULL,
    enabled_by TEXT NOT NULL
);
