-- Dashboard tallies per village, maintained from the registry (uplift-db tally.rs).
--
-- `village_tallies` holds, per village, the registry tallies of the dashboard as a step function
-- of the as-of date (everything known now): one row per date from which the village's tallies
-- change, its state in a compact text form. A county or city dashboard reads one row per village.
-- `tally_dirty` lists the households whose tallies must be recomputed. The triggers below fill
-- it in the transaction of every write to the registry's version tables (typed changes, imports,
-- synth, restore: whatever the path), once per statement, and `Db::settle_tallies` empties it,
-- recomputing the villages of those households, before the tallies are read. Both tables are
-- derived: backups skip them.
CREATE TABLE village_tallies (
    village TEXT NOT NULL,
    valid_from TEXT NOT NULL,
    state TEXT NOT NULL,
    PRIMARY KEY (village, valid_from)
);

CREATE TABLE tally_dirty (
    household_id BIGINT PRIMARY KEY
);

CREATE FUNCTION tally_dirty_households() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO tally_dirty (household_id)
        SELECT DISTINCT household_id FROM new_rows ON CONFLICT DO NOTHING;
    RETURN NULL;
END
$$;

-- A person's new version changes every household the person has belonged to (a transfer).
CREATE FUNCTION tally_dirty_persons() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO tally_dirty (household_id)
        SELECT DISTINCT pv.household_id FROM person_versions pv
        WHERE pv.person_id IN (SELECT person_id FROM new_rows)
        ON CONFLICT DO NOTHING;
    RETURN NULL;
END
$$;

CREATE FUNCTION tally_dirty_incomes() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO tally_dirty (household_id)
        SELECT DISTINCT iv.household_id FROM income_versions iv
        WHERE iv.income_id IN (SELECT income_id FROM new_rows)
        ON CONFLICT DO NOTHING;
    RETURN NULL;
END
$$;

-- Versions are append-only; should one ever change or go, its household is recomputed.
CREATE FUNCTION tally_dirty_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        INSERT INTO tally_dirty (household_id) VALUES (OLD.household_id) ON CONFLICT DO NOTHING;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        INSERT INTO tally_dirty (household_id) VALUES (NEW.household_id) ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER household_versions_tally AFTER INSERT ON household_versions
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION tally_dirty_households();
CREATE TRIGGER person_versions_tally AFTER INSERT ON person_versions
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION tally_dirty_persons();
CREATE TRIGGER income_versions_tally AFTER INSERT ON income_versions
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION tally_dirty_incomes();
CREATE TRIGGER household_versions_tally_ud AFTER UPDATE OR DELETE ON household_versions
    FOR EACH ROW EXECUTE FUNCTION tally_dirty_row();
CREATE TRIGGER person_versions_tally_ud AFTER UPDATE OR DELETE ON person_versions
    FOR EACH ROW EXECUTE FUNCTION tally_dirty_row();
CREATE TRIGGER income_versions_tally_ud AFTER UPDATE OR DELETE ON income_versions
    FOR EACH ROW EXECUTE FUNCTION tally_dirty_row();

-- Whatever the registry already holds is computed at the first read.
INSERT INTO tally_dirty (household_id) SELECT id FROM households ON CONFLICT DO NOTHING;
