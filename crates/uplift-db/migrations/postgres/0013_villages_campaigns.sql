-- Village profiles (村情): one append-only version per reading of an indicator of a village, with
-- the registry's stamp columns. Concentrated screening campaigns (集中排查) with their frozen visit
-- lists and the visits recorded against them.

CREATE TABLE village_indicator_versions (
    version_id BIGINT PRIMARY KEY,
    village_code TEXT NOT NULL REFERENCES regions (code),
    indicator TEXT NOT NULL,
    valid_from TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    actor TEXT NOT NULL,
    source TEXT NOT NULL,
    reason TEXT,
    value BIGINT NOT NULL,
    base BIGINT,
    -- A project number of the project library (joined once that library exists).
    project_ref TEXT,
    note TEXT
);
CREATE INDEX village_indicator_versions_key
    ON village_indicator_versions (village_code, indicator, valid_from, recorded_at);

CREATE TABLE campaigns (
    id BIGINT PRIMARY KEY,
    county_code TEXT NOT NULL REFERENCES regions (code),
    name TEXT NOT NULL,
    scope TEXT NOT NULL,
    period_start TEXT NOT NULL,
    period_end TEXT NOT NULL,
    created_at TEXT NOT NULL,
    actor TEXT NOT NULL,
    source TEXT NOT NULL
);
CREATE INDEX campaigns_county ON campaigns (county_code, id);

CREATE TABLE campaign_households (
    campaign_id BIGINT NOT NULL REFERENCES campaigns (id),
    household_id BIGINT NOT NULL REFERENCES households (id),
    village_code TEXT NOT NULL,
    household_no TEXT NOT NULL,
    head_name TEXT,
    helper TEXT,
    groups TEXT NOT NULL,
    PRIMARY KEY (campaign_id, household_id)
);
CREATE INDEX campaign_households_village ON campaign_households (campaign_id, village_code);

CREATE TABLE campaign_visits (
    id BIGINT PRIMARY KEY,
    campaign_id BIGINT NOT NULL REFERENCES campaigns (id),
    household_id BIGINT NOT NULL REFERENCES households (id),
    visit_date TEXT NOT NULL,
    outcome TEXT NOT NULL,
    problems TEXT NOT NULL,
    note TEXT NOT NULL,
    case_id BIGINT REFERENCES cases (id),
    valid_from TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    actor TEXT NOT NULL,
    source TEXT NOT NULL,
    reason TEXT
);
CREATE INDEX campaign_visits_campaign ON campaign_visits (campaign_id, visit_date);

INSERT INTO key_sequences (name, next_value) VALUES
    ('village_indicator_versions', 1), ('campaigns', 1), ('campaign_visits', 1);
