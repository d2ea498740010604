-- Backlog per peer (pending rows) without scanning its delivered history.
CREATE INDEX outbox_peer_state ON outbox (peer, state);
