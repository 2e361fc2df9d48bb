-- Registry with bitemporal history. Conventions (both backends): only TEXT and 64-bit integer
-- columns; dates are 'YYYY-MM-DD'; instants are fixed-width RFC 3339 in China Standard Time
-- ('2026-11-25T18:58:38.123456+08:00'), so text order is time order; money is whole fen.
-- *_versions tables are append-only: a row is never updated or deleted.

CREATE TABLE key_sequences (
    name TEXT PRIMARY KEY,
    next_value INTEGER NOT NULL
);
INSERT INTO key_sequences (name, next_value) VALUES ('households', 1), ('persons', 1), ('incomes', 1), ('versions', 1);

CREATE TABLE regions (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    level TEXT NOT NULL,
    parent_code TEXT
);
CREATE INDEX regions_parent ON regions (parent_code, code);

CREATE TABLE households (
    id INTEGER PRIMARY KEY,
    created_at TEXT NOT NULL
);

CREATE TABLE household_versions (
    version_id INTEGER PRIMARY KEY,
    household_id INTEGER NOT NULL REFERENCES households (id),
    valid_from TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    actor TEXT NOT NULL,
    source TEXT NOT NULL,
    reason TEXT,
    household_no TEXT NOT NULL,
    household_type TEXT NOT NULL,
    region_code TEXT NOT NULL REFERENCES regions (code),
    address TEXT
);
CREATE INDEX household_versions_key ON household_versions (household_id, valid_from, recorded_at);
CREATE INDEX household_versions_region ON household_versions (region_code, household_id);
CREATE INDEX household_versions_no ON household_versions (household_no);

CREATE TABLE persons (
    id INTEGER PRIMARY KEY,
    created_at TEXT NOT NULL
);

CREATE TABLE person_versions (
    version_id INTEGER PRIMARY KEY,
    person_id INTEGER NOT NULL REFERENCES persons (id),
    household_id INTEGER NOT NULL REFERENCES households (id),
    valid_from TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    actor TEXT NOT NULL,
    source TEXT NOT NULL,
    reason TEXT,
    name TEXT NOT NULL,
    id_number TEXT NOT NULL,
    relation TEXT NOT NULL,
    sex TEXT,
    birth_date TEXT,
    education TEXT,
    schooling TEXT,
    health TEXT NOT NULL,
    disability_grade INTEGER,
    labour TEXT NOT NULL,
    major_illness_insurance INTEGER,
    phone TEXT,
    status TEXT NOT NULL
);
CREATE INDEX person_versions_key ON person_versions (person_id, valid_from, recorded_at);
CREATE INDEX person_versions_household ON person_versions (household_id);
CREATE INDEX person_versions_id_number ON person_versions (id_number);
CREATE INDEX person_versions_name ON person_versions (name);

CREATE TABLE incomes (
    id INTEGER PRIMARY KEY,
    household_id INTEGER NOT NULL REFERENCES households (id),
    created_at TEXT NOT NULL
);

CREATE TABLE income_versions (
    version_id INTEGER PRIMARY KEY,
    income_id INTEGER NOT NULL REFERENCES incomes (id),
    household_id INTEGER NOT NULL REFERENCES households (id),
    valid_from TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    actor TEXT NOT NULL,
    source TEXT NOT NULL,
    reason TEXT,
    period_start TEXT NOT NULL,
    period_end TEXT NOT NULL,
    wage_fen INTEGER NOT NULL,
    business_fen INTEGER NOT NULL,
    property_fen INTEGER NOT NULL,
    transfer_fen INTEGER NOT NULL,
    production_costs_fen INTEGER NOT NULL,
    compliant_oop_fen INTEGER
);
CREATE INDEX income_versions_key ON income_versions (income_id, valid_from, recorded_at);
CREATE INDEX income_versions_household ON income_versions (household_id);
