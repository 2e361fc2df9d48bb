-- Projects (项目库), fund plans with versions, and project assets (项目资产), issue 9. Projects and
-- assets are append-only event logs like cases; each event carries the stamp columns.

CREATE TABLE projects (
    id INTEGER PRIMARY KEY,
    county_code TEXT NOT NULL REFERENCES regions (code),
    region_code TEXT NOT NULL REFERENCES regions (code),
    -- The library year, the status and the event count after the last event (the
    -- optimistic-concurrency token).
    year INTEGER NOT NULL,
    status TEXT NOT NULL,
    version INTEGER NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX projects_region ON projects (region_code, id);
CREATE INDEX projects_county ON projects (county_code, year, id);

CREATE TABLE project_events (
    project_id INTEGER NOT NULL REFERENCES projects (id),
    seq INTEGER NOT NULL,
    event TEXT NOT NULL,
    payload TEXT NOT NULL,
    valid_from TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    actor TEXT NOT NULL,
    source TEXT NOT NULL,
    reason TEXT,
    PRIMARY KEY (project_id, seq)
);

CREATE TABLE fund_plans (
    id INTEGER PRIMARY KEY,
    county_code TEXT NOT NULL REFERENCES regions (code),
    created_at TEXT NOT NULL
);
CREATE INDEX fund_plans_county ON fund_plans (county_code, id);

CREATE TABLE fund_plan_versions (
    version_id INTEGER PRIMARY KEY,
    plan_id INTEGER NOT NULL REFERENCES fund_plans (id),
    valid_from TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    actor TEXT NOT NULL,
    source TEXT NOT NULL,
    reason TEXT,
    county_code TEXT NOT NULL,
    year INTEGER NOT NULL,
    level TEXT NOT NULL,
    name TEXT NOT NULL,
    document TEXT NOT NULL,
    amount_fen INTEGER NOT NULL
);
CREATE INDEX fund_plan_versions_key ON fund_plan_versions (plan_id, version_id);

CREATE TABLE project_assets (
    id INTEGER PRIMARY KEY,
    project_id INTEGER NOT NULL REFERENCES projects (id),
    county_code TEXT NOT NULL REFERENCES regions (code),
    region_code TEXT NOT NULL REFERENCES regions (code),
    version INTEGER NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX project_assets_county ON project_assets (county_code, id);

CREATE TABLE asset_events (
    asset_id INTEGER NOT NULL REFERENCES project_assets (id),
    seq INTEGER NOT NULL,
    event TEXT NOT NULL,
    payload TEXT NOT NULL,
    valid_from TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    actor TEXT NOT NULL,
    source TEXT NOT NULL,
    reason TEXT,
    PRIMARY KEY (asset_id, seq)
);

INSERT INTO key_sequences (name, next_value) VALUES
    ('projects', 1), ('fund_plans', 1), ('fund_plan_versions', 1), ('project_assets', 1);
