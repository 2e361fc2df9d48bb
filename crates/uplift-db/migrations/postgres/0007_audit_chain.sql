-- The audit log becomes a hash chain: each event carries the hash of the one before it and its own
-- hash over both (uplift_app::access::audit_hash), so `uplift audit verify` finds any edited or
-- deleted entry. Events written before this migration have no hash and form an unchained prefix.
ALTER TABLE audit_events ADD COLUMN prev_hash TEXT;
ALTER TABLE audit_events ADD COLUMN hash TEXT;
ALTER TABLE audit_events ADD COLUMN client TEXT;
CREATE INDEX audit_events_action ON audit_events (action, target, at);
