-- The nodes an object is already on its way to, announced to the peer with
-- it (a JSON array of team ids; NULL when nothing is announced), so that
-- relays skip them. See vigia_taxii::relay.
ALTER TABLE outbox ADD COLUMN covered TEXT;
