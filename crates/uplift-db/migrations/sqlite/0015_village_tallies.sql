-- Dashboard tallies per village, maintained from the registry (uplift-db tally.rs).
--
-- `village_tallies` holds, per village, the registry tallies of the dashboard as a step function
-- of the as-of date (everything known now): one row per date from which the village's tallies
-- change, its state in a compact text form. A county or city dashboard reads one row per village.
-- `tally_dirty` lists the households whose tallies must be recomputed. The triggers below fill
-- it in the transaction of every write to the registry's version tables (typed changes, imports,
-- synth, restore: whatever the path), and `Db::settle_tallies` empties it, recomputing the villages
-- of those households, before the tallies are read. Both tables are derived: backups skip them.
CREATE TABLE village_tallies (
    village TEXT NOT NULL,
    valid_from TEXT NOT NULL,
    state TEXT NOT NULL,
    PRIMARY KEY (village, valid_from)
);

CREATE TABLE tally_dirty (
    household_id INTEGER PRIMARY KEY
);

CREATE TRIGGER household_versions_tally_i AFTER INSERT ON household_versions
BEGIN INSERT OR IGNORE INTO tally_dirty (household_id) VALUES (NEW.household_id); END;
CREATE TRIGGER household_versions_tally_u AFTER UPDATE ON household_versions
BEGIN
    INSERT OR IGNORE INTO tally_dirty (household_id) VALUES (OLD.household_id);
    INSERT OR IGNORE INTO tally_dirty (household_id) VALUES (NEW.household_id);
END;
CREATE TRIGGER household_versions_tally_d AFTER DELETE ON household_versions
BEGIN INSERT OR IGNORE INTO tally_dirty (household_id) VALUES (OLD.household_id); END;

-- A person's new version changes every household the person has belonged to (a transfer).
CREATE TRIGGER person_versions_tally_i AFTER INSERT ON person_versions
BEGIN
    INSERT OR IGNORE INTO tally_dirty (household_id)
        SELECT household_id FROM person_versions WHERE person_id = NEW.person_id;
END;
CREATE TRIGGER person_versions_tally_u AFTER UPDATE ON person_versions
BEGIN
    INSERT OR IGNORE INTO tally_dirty (household_id) VALUES (OLD.household_id);
    INSERT OR IGNORE INTO tally_dirty (household_id)
        SELECT household_id FROM person_versions WHERE person_id = NEW.person_id;
END;
CREATE TRIGGER person_versions_tally_d AFTER DELETE ON person_versions
BEGIN INSERT OR IGNORE INTO tally_dirty (household_id) VALUES (OLD.household_id); END;

CREATE TRIGGER income_versions_tally_i AFTER INSERT ON income_versions
BEGIN
    INSERT OR IGNORE INTO tally_dirty (household_id)
        SELECT household_id FROM income_versions WHERE income_id = NEW.income_id;
END;
CREATE TRIGGER income_versions_tally_u AFTER UPDATE ON income_versions
BEGIN
    INSERT OR IGNORE INTO tally_dirty (household_id) VALUES (OLD.household_id);
    INSERT OR IGNORE INTO tally_dirty (household_id)
        SELECT household_id FROM income_versions WHERE income_id = NEW.income_id;
END;
CREATE TRIGGER income_versions_tally_d AFTER DELETE ON income_versions
BEGIN INSERT OR IGNORE INTO tally_dirty (household_id) VALUES (OLD.household_id); END;

-- Whatever the registry already holds is computed at the first read.
INSERT OR IGNORE INTO tally_dirty (household_id) SELECT id FROM households;
