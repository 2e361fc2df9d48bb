-- Files owned by records (a visit's photos, scanned documents). Immutable once written; the
-- content is base64 TEXT (columns are TEXT or integers only).
CREATE TABLE attachments (
    id INTEGER PRIMARY KEY,
    owner_kind TEXT NOT NULL,
    owner_id INTEGER NOT NULL,
    filename TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    content TEXT NOT NULL,
    uploaded_by TEXT NOT NULL,
    uploaded_at TEXT NOT NULL
);
CREATE INDEX attachments_owner ON attachments (owner_kind, owner_id, id);
INSERT INTO key_sequences (name, next_value) VALUES ('attachments', 1);
