-- The rectification ledger (问题整改台账) and five-level responsibility (五级书记): problems with
-- their append-only events and evidence files, secretaries and units per region (versioned),
-- tasks assigned down the region tree with their targets and append-only completions.
-- Evidence bytes are kept here as hex text until a generic attachment store exists.

CREATE TABLE problems (
    id INTEGER PRIMARY KEY,
    region_code TEXT NOT NULL REFERENCES regions (code),
    -- The region answering for the problem once assigned; the head is the concurrency token.
    responsible_region TEXT,
    state TEXT NOT NULL,
    deadline TEXT,
    version INTEGER NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX problems_region ON problems (region_code, id);
CREATE INDEX problems_responsible ON problems (responsible_region, id);

CREATE TABLE problem_events (
    problem_id INTEGER NOT NULL REFERENCES problems (id),
    seq INTEGER NOT NULL,
    event TEXT NOT NULL,
    payload TEXT NOT NULL,
    valid_from TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    actor TEXT NOT NULL,
    source TEXT NOT NULL,
    reason TEXT,
    PRIMARY KEY (problem_id, seq)
);

CREATE TABLE problem_evidence (
    problem_id INTEGER NOT NULL REFERENCES problems (id),
    seq INTEGER NOT NULL,
    idx INTEGER NOT NULL,
    file_name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    content_hex TEXT NOT NULL,
    PRIMARY KEY (problem_id, seq, idx)
);

CREATE TABLE responsibility_versions (
    version_id INTEGER PRIMARY KEY,
    region_code TEXT NOT NULL REFERENCES regions (code),
    secretary TEXT NOT NULL,
    units TEXT NOT NULL,
    valid_from TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    actor TEXT NOT NULL,
    source TEXT NOT NULL,
    reason TEXT
);
CREATE INDEX responsibility_versions_region ON responsibility_versions (region_code, version_id);

CREATE TABLE tasks (
    id INTEGER PRIMARY KEY,
    region_code TEXT NOT NULL REFERENCES regions (code),
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    target_level TEXT NOT NULL,
    deadline TEXT NOT NULL,
    valid_from TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    actor TEXT NOT NULL,
    source TEXT NOT NULL,
    reason TEXT
);
CREATE INDEX tasks_region ON tasks (region_code, id);

CREATE TABLE task_targets (
    task_id INTEGER NOT NULL REFERENCES tasks (id),
    region_code TEXT NOT NULL REFERENCES regions (code),
    PRIMARY KEY (task_id, region_code)
);
CREATE INDEX task_targets_region ON task_targets (region_code, task_id);

CREATE TABLE task_completions (
    id INTEGER PRIMARY KEY,
    task_id INTEGER NOT NULL REFERENCES tasks (id),
    region_code TEXT NOT NULL REFERENCES regions (code),
    completed_on TEXT,
    note TEXT NOT NULL,
    valid_from TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    actor TEXT NOT NULL,
    source TEXT NOT NULL,
    reason TEXT
);
CREATE INDEX task_completions_task ON task_completions (task_id, id);

INSERT INTO key_sequences (name, next_value) VALUES
    ('problems', 1), ('responsibility_versions', 1), ('tasks', 1), ('task_completions', 1);
