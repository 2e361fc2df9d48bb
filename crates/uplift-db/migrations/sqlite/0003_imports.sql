-- Import batches (issue 4): every run of an import, applied or not, with its counts and the
-- lines of its report. Both tables are append-only.

INSERT INTO key_sequences (name, next_value) VALUES ('import_batches', 1);

CREATE TABLE import_batches (
    id INTEGER PRIMARY KEY,
    file_name TEXT NOT NULL,
    checksum TEXT NOT NULL,
    kind TEXT NOT NULL,
    mode TEXT NOT NULL,
    status TEXT NOT NULL,
    actor TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    headers TEXT NOT NULL,
    rows_read INTEGER NOT NULL,
    rejected_rows INTEGER NOT NULL,
    households_new INTEGER NOT NULL,
    households_changed INTEGER NOT NULL,
    households_unchanged INTEGER NOT NULL,
    households_skipped INTEGER NOT NULL,
    persons_new INTEGER NOT NULL,
    persons_changed INTEGER NOT NULL,
    persons_unchanged INTEGER NOT NULL,
    incomes_new INTEGER NOT NULL,
    incomes_changed INTEGER NOT NULL,
    incomes_unchanged INTEGER NOT NULL,
    errors INTEGER NOT NULL,
    warnings INTEGER NOT NULL
);
CREATE INDEX import_batches_recorded ON import_batches (recorded_at);

CREATE TABLE import_issues (
    batch_id INTEGER NOT NULL REFERENCES import_batches (id),
    seq INTEGER NOT NULL,
    row_no INTEGER NOT NULL,
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
