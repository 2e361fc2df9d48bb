-- The registry epoch: a counter that every write to the registry's version tables bumps, in the
-- writing transaction. The dashboard keeps tallies it has computed keyed by the epoch they were
-- computed at, so any new version (committed) makes them stale at once (uplift-db dashboard.rs).
CREATE TABLE registry_epoch (
    id INTEGER PRIMARY KEY,
    epoch INTEGER NOT NULL
);
INSERT INTO registry_epoch (id, epoch) VALUES (1, 0);

CREATE TRIGGER household_versions_epoch_i AFTER INSERT ON household_versions
BEGIN UPDATE registry_epoch SET epoch = epoch + 1 WHERE id = 1; END;
CREATE TRIGGER household_versions_epoch_u AFTER UPDATE ON household_versions
BEGIN UPDATE registry_epoch SET epoch = epoch + 1 WHERE id = 1; END;
CREATE TRIGGER household_versions_epoch_d AFTER DELETE ON household_versions
BEGIN UPDATE registry_epoch SET epoch = epoch + 1 WHERE id = 1; END;
CREATE TRIGGER person_versions_epoch_i AFTER INSERT ON person_versions
BEGIN UPDATE registry_epoch SET epoch = epoch + 1 WHERE id = 1; END;
CREATE TRIGGER person_versions_epoch_u AFTER UPDATE ON person_versions
BEGIN UPDATE registry_epoch SET epoch = epoch + 1 WHERE id = 1; END;
CREATE TRIGGER person_versions_epoch_d AFTER DELETE ON person_versions
BEGIN UPDATE registry_epoch SET epoch = epoch + 1 WHERE id = 1; END;
CREATE TRIGGER income_versions_epoch_i AFTER INSERT ON income_versions
BEGIN UPDATE registry_epoch SET epoch = epoch + 1 WHERE id = 1; END;
CREATE TRIGGER income_versions_epoch_u AFTER UPDATE ON income_versions
BEGIN UPDATE registry_epoch SET epoch = epoch + 1 WHERE id = 1; END;
CREATE TRIGGER income_versions_epoch_d AFTER DELETE ON income_versions
BEGIN UPDATE registry_epoch SET epoch = epoch + 1 WHERE id = 1; END;
