-- The registry epoch: a counter that every write to the registry's version tables bumps, in the
-- writing transaction (once per statement). The dashboard keeps tallies it has computed keyed by
-- the epoch they were computed at, so any committed new version makes them stale at once
-- (uplift-db dashboard.rs). The row lock also orders concurrent commits of registry writes.
CREATE TABLE registry_epoch (
    id BIGINT PRIMARY KEY,
    epoch BIGINT NOT NULL
);
INSERT INTO registry_epoch (id, epoch) VALUES (1, 0);

CREATE FUNCTION bump_registry_epoch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE registry_epoch SET epoch = epoch + 1 WHERE id = 1;
    RETURN NULL;
END
$$;

CREATE TRIGGER household_versions_epoch AFTER INSERT OR UPDATE OR DELETE ON household_versions
    FOR EACH STATEMENT EXECUTE FUNCTION bump_registry_epoch();
CREATE TRIGGER person_versions_epoch AFTER INSERT OR UPDATE OR DELETE ON person_versions
    FOR EACH STATEMENT EXECUTE FUNCTION bump_registry_epoch();
CREATE TRIGGER income_versions_epoch AFTER INSERT OR UPDATE OR DELETE ON income_versions
    FOR EACH STATEMENT EXECUTE FUNCTION bump_registry_epoch();
