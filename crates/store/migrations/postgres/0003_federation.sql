-- Federation between national nodes. Keep logically identical across back-ends.

-- A sharing group learned from another node keeps the definition its
-- owner signed, so this node can pass it on with objects that use it.
ALTER TABLE sharing_groups ADD COLUMN definition TEXT;

-- Peer nodes, set up by an operator on each side with the peer's key
-- fingerprint exchanged out of band.
CREATE TABLE peers (
    team_id          TEXT PRIMARY KEY,
    name             TEXT NOT NULL,
    url              TEXT NOT NULL,
    fingerprint      TEXT NOT NULL UNIQUE,
    public_key       TEXT NOT NULL,
    node_id          TEXT NOT NULL,
    country          TEXT NOT NULL,
    added_at         BIGINT NOT NULL,
    pull_cursor      TEXT,
    last_pull_at     BIGINT,
    last_success_at  BIGINT,
    last_failure_at  BIGINT,
    last_error       TEXT,
    failures         BIGINT NOT NULL DEFAULT 0
);

-- Node keys this node trusts for seals: peers' keys, and keys of further
-- nodes first seen on an object relayed by an authenticated peer.
CREATE TABLE node_keys (
    team_id      TEXT PRIMARY KEY,
    public_key   TEXT NOT NULL,
    fingerprint  TEXT NOT NULL,
    source       TEXT NOT NULL,
    learned_at   BIGINT NOT NULL
);

-- One row per object version and entitled peer, written with the object.
CREATE TABLE outbox (
    peer          TEXT NOT NULL,
    date_added    BIGINT NOT NULL,
    state         TEXT NOT NULL,
    attempts      BIGINT NOT NULL DEFAULT 0,
    next_attempt  BIGINT NOT NULL,
    last_error    TEXT,
    delivered_at  BIGINT,
    PRIMARY KEY (peer, date_added)
);
CREATE INDEX outbox_due ON outbox (state, next_attempt);
CREATE INDEX outbox_object ON outbox (date_added);

-- Nonces of signed requests, kept until their signatures expire: a
-- replayed request is refused.
CREATE TABLE request_nonces (
    fingerprint  TEXT NOT NULL,
    nonce        TEXT NOT NULL,
    expires_at   BIGINT NOT NULL,
    PRIMARY KEY (fingerprint, nonce)
);

-- Node settings changed at run time, such as the outbound policy.
CREATE TABLE settings (
    name   TEXT PRIMARY KEY,
    value  TEXT NOT NULL
);
