-- Department feeds, screening runs and warnings (issue 5). Conventions as in 0001.
INSERT INTO key_sequences (name, next_value) VALUES ('feed_batches', 1), ('screening_runs', 1), ('warnings', 1);

CREATE TABLE feed_batches (
    id BIGINT PRIMARY KEY,
    kind TEXT NOT NULL,
    source TEXT NOT NULL,
    period_from TEXT,
    period_to TEXT,
    checksum TEXT NOT NULL UNIQUE,
    imported_at TEXT NOT NULL,
    actor TEXT NOT NULL,
    row_count BIGINT NOT NULL,
    matched BIGINT NOT NULL,
    unmatched BIGINT NOT NULL,
    -- The uploader's region and department (NULL: the machine, i.e. the CLI): who may see it.
    region_code TEXT,
    department TEXT
);

CREATE TABLE feed_rows (
    batch_id BIGINT NOT NULL REFERENCES feed_batches (id),
    kind TEXT NOT NULL,
    row_no BIGINT NOT NULL,
    record_id TEXT,
    reversal BIGINT NOT NULL,
    target TEXT NOT NULL,
    matched BIGINT NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (batch_id, row_no)
);
CREATE INDEX feed_rows_target ON feed_rows (target);
CREATE INDEX feed_rows_record ON feed_rows (kind, record_id);

CREATE TABLE screening_runs (
    id BIGINT PRIMARY KEY,
    run_key TEXT NOT NULL UNIQUE,
    as_of TEXT NOT NULL,
    mode TEXT NOT NULL,
    started_at TEXT NOT NULL,
    duration_ms BIGINT NOT NULL,
    summary TEXT NOT NULL,
    inputs TEXT NOT NULL,
    warnings_new BIGINT NOT NULL,
    warnings_updated BIGINT NOT NULL,
    warnings_withdrawn BIGINT NOT NULL
);

-- One open warning per household and risk type: a new hit updates it, never duplicates it.
CREATE TABLE warnings (
    id BIGINT PRIMARY KEY,
    household_id BIGINT NOT NULL REFERENCES households (id),
    household_no TEXT NOT NULL,
    village_code TEXT NOT NULL,
    township_code TEXT NOT NULL,
    risk_type TEXT NOT NULL,
    rules TEXT NOT NULL,
    explanation TEXT NOT NULL,
    state TEXT NOT NULL,
    due_date TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    run_id BIGINT NOT NULL REFERENCES screening_runs (id)
);
CREATE UNIQUE INDEX warnings_open ON warnings (household_id, risk_type) WHERE state = 'open';
CREATE INDEX warnings_village ON warnings (village_code, state);
