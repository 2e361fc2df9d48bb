-- Users, sessions, helper assignments and the audit log. The audit log is append-only.

CREATE TABLE users (
    id BIGINT PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    role TEXT NOT NULL,
    region_code TEXT NOT NULL REFERENCES regions (code),
    department TEXT,
    password_hash TEXT NOT NULL,
    disabled BIGINT NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL
);
INSERT INTO key_sequences (name, next_value) VALUES ('users', 1), ('audit', 1);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id),
    csrf_token TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    ended_at TEXT
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE helper_assignments (
    user_id BIGINT NOT NULL REFERENCES users (id),
    household_id BIGINT NOT NULL REFERENCES households (id),
    assigned_at TEXT NOT NULL,
    actor TEXT NOT NULL,
    PRIMARY KEY (user_id, household_id)
);
CREATE INDEX helper_assignments_household ON helper_assignments (household_id);

CREATE TABLE audit_events (
    id BIGINT PRIMARY KEY,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    region_code TEXT,
    reason TEXT
);
CREATE INDEX audit_events_region ON audit_events (region_code, id);
