-- Import batches (issue 4): every run of an import, applied or not, with its counts and the
-- lines of its report. Both tables are append-only.

INSERT INTO key_sequences (name, next_value) VALUES ('import_batches', 1);

CREATE TABLE import_batches (
    id BIGINT PRIMARY KEY,
    file_name TEXT NOT NULL,
    checksum TEXT NOT NULL,
    kind TEXT NOT NULL,
    mode TEXT NOT NULL,
    status TEXT NOT NULL,
    actor TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    headers TEXT NOT NULL,
    rows_read BIGINT NOT NULL,
    rejected_rows BIGINT NOT NULL,
    households_new BIGINT NOT NULL,
    households_changed BIGINT NOT NULL,
    households_unchanged BIGINT NOT NULL,
    households_skipped BIGINT NOT NULL,
    persons_new BIGINT NOT NULL,
    persons_changed BIGINT NOT NULL,
    persons_unchanged BIGINT NOT NULL,
    incomes_new BIGINT NOT NULL,
    incomes_changed BIGINT NOT NULL,
    incomes_unchanged BIGINT NOT NULL,
    errors BIGINT NOT NULL,
    warnings BIGINT NOT NULL
);
CREATE INDEX import_batches_recorded ON import_batches (recorded_at);

CREATE TABLE import_issues (
    batch_id BIGINT NOT NULL REFERENCES import_batches (id),
    seq BIGINT NOT NULL,
    row_no BIGINT NOT NULL,
    column_name TEXT NOT NULL,
    field TEXT NOT NULL,
    rule TEXT NOT NULL,
    severity TEXT NOT NULL,
    message_zh TEXT NOT NULL,
    message_en TEXT NOT NULL,
    value TEXT NOT NULL,
    household_no TEXT NOT NULL,
    cells TEXT NOT NULL,
    PRIMARY KEY (batch_id, seq)
);
