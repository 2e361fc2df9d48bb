-- Cases (identification and elimination), their append-only events, measures with versions, and
-- visits. Case events carry the same stamp columns as household_versions.

CREATE TABLE cases (
    id INTEGER PRIMARY KEY,
    household_id INTEGER NOT NULL REFERENCES households (id),
    region_code TEXT NOT NULL REFERENCES regions (code),
    kind TEXT NOT NULL,
    channel TEXT NOT NULL,
    -- The stage and the event count after the last event: the optimistic-concurrency token.
    stage TEXT NOT NULL,
    version INTEGER NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX cases_region ON cases (region_code, id);
CREATE INDEX cases_household ON cases (household_id, id);

CREATE TABLE case_events (
    case_id INTEGER NOT NULL REFERENCES cases (id),
    seq INTEGER NOT NULL,
    event TEXT NOT NULL,
    payload TEXT NOT NULL,
    valid_from TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    actor TEXT NOT NULL,
    source TEXT NOT NULL,
    reason TEXT,
    PRIMARY KEY (case_id, seq)
);

CREATE TABLE measures (
    id INTEGER PRIMARY KEY,
    household_id INTEGER NOT NULL REFERENCES households (id),
    created_at TEXT NOT NULL
);
CREATE INDEX measures_household ON measures (household_id);

CREATE TABLE measure_versions (
    version_id INTEGER PRIMARY KEY,
    measure_id INTEGER NOT NULL REFERENCES measures (id),
    valid_from TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    actor TEXT NOT NULL,
    source TEXT NOT NULL,
    reason TEXT,
    category TEXT NOT NULL,
    name TEXT NOT NULL,
    start_date TEXT NOT NULL,
    end_date TEXT,
    amount_fen INTEGER NOT NULL,
    funding_source TEXT NOT NULL
);
CREATE INDEX measure_versions_key ON measure_versions (measure_id, valid_from, recorded_at);

CREATE TABLE visits (
    id INTEGER PRIMARY KEY,
    household_id INTEGER NOT NULL REFERENCES households (id),
    visit_date TEXT NOT NULL,
    visitor TEXT NOT NULL,
    income_above_line INTEGER,
    health_ok INTEGER,
    schooling_ok INTEGER,
    work_ok INTEGER,
    housing_ok INTEGER,
    water_ok INTEGER,
    findings TEXT NOT NULL,
    problems TEXT NOT NULL,
    follow_ups TEXT NOT NULL,
    photo TEXT,
    valid_from TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    actor TEXT NOT NULL,
    source TEXT NOT NULL,
    reason TEXT
);
CREATE INDEX visits_household ON visits (household_id, visit_date);

INSERT INTO key_sequences (name, next_value) VALUES
    ('cases', 1), ('measures', 1), ('measure_versions', 1), ('visits', 1);
