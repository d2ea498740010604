-- vigia schema, SQLite form. Keep logically identical to ../postgres.
-- Timestamps are BIGINT microseconds since the epoch; flags are INTEGER 0/1.

CREATE TABLE node (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    node_id     TEXT NOT NULL,
    team_id     TEXT NOT NULL,
    country     TEXT NOT NULL,
    public_key  TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);

CREATE TABLE teams (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    country     TEXT NOT NULL,
    kind        TEXT NOT NULL,
    client_of   TEXT REFERENCES teams (id),
    created_at  BIGINT NOT NULL
);

CREATE TABLE users (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    team          TEXT NOT NULL REFERENCES teams (id),
    name          TEXT NOT NULL UNIQUE,
    display_name  TEXT NOT NULL,
    email         TEXT,
    role          TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    disabled      INTEGER NOT NULL DEFAULT 0,
    created_at    BIGINT NOT NULL
);
CREATE INDEX users_team ON users (team, name);

CREATE TABLE tokens (
    id            TEXT PRIMARY KEY,
    secret_hash   TEXT NOT NULL UNIQUE,
    team          TEXT NOT NULL REFERENCES teams (id),
    user_name     TEXT REFERENCES users (name),
    role          TEXT NOT NULL,
    scope         TEXT NOT NULL,
    label         TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    expires_at    BIGINT,
    revoked_at    BIGINT,
    last_used_at  BIGINT
);

CREATE TABLE sharing_groups (
    name   TEXT PRIMARY KEY,
    owner  TEXT NOT NULL
);

CREATE TABLE sharing_group_members (
    name  TEXT NOT NULL REFERENCES sharing_groups (name) ON DELETE CASCADE,
    team  TEXT NOT NULL,
    PRIMARY KEY (name, team)
);

-- The last date_added handed out; its row lock serialises inserters.
CREATE TABLE node_clock (
    id           INTEGER PRIMARY KEY CHECK (id = 1),
    last_micros  BIGINT NOT NULL
);
INSERT INTO node_clock (id, last_micros) VALUES (1, 0);

CREATE TABLE objects (
    date_added      INTEGER PRIMARY KEY,
    id              TEXT NOT NULL,
    type            TEXT NOT NULL,
    version         TEXT NOT NULL,
    spec_version    TEXT NOT NULL,
    created_by_ref  TEXT,
    tlp             TEXT NOT NULL,
    revoked         INTEGER NOT NULL,
    is_latest       INTEGER NOT NULL,
    audience        TEXT NOT NULL,
    raw             TEXT NOT NULL,
    UNIQUE (id, version)
);
CREATE INDEX objects_type ON objects (type, date_added);
CREATE INDEX objects_created_by ON objects (created_by_ref);
-- UNIQUE (id, version) serves lookups by id and of an id's latest version
-- (an id has few versions). No partial index on is_latest: before
-- statistics exist it leads PostgreSQL's planner into scanning all of it.

-- Written only with its object, in one transaction; no foreign key, which
-- would cost a lookup per key on the bulk insert path.
CREATE TABLE object_access (
    access_key  TEXT NOT NULL,
    date_added  BIGINT NOT NULL,
    PRIMARY KEY (access_key, date_added)
) WITHOUT ROWID;

CREATE TABLE audit_log (
    seq        INTEGER PRIMARY KEY,
    at_micros  BIGINT NOT NULL,
    actor      TEXT NOT NULL,
    action     TEXT NOT NULL,
    subject    TEXT,
    outcome    TEXT NOT NULL,
    detail     TEXT NOT NULL,
    prev_hash  TEXT NOT NULL,
    hash       TEXT NOT NULL
);

-- The last sequence number and hash, so removing the tail is detected.
CREATE TABLE audit_head (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    seq   BIGINT NOT NULL,
    hash  TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');
