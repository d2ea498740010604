-- Watch and warning. Keep logically identical across back-ends.

-- Products known here (published here or received), projected from their
-- objects by the watch projector; the objects stay the source of truth.
CREATE TABLE products (
    id             TEXT PRIMARY KEY,
    kind           TEXT NOT NULL,
    severity       TEXT NOT NULL,
    title          TEXT NOT NULL,
    originator     TEXT,
    tlp            TEXT NOT NULL,
    version        TEXT NOT NULL,
    date_added     BIGINT NOT NULL,
    first_arrived  BIGINT NOT NULL,
    exercise       BIGINT NOT NULL,
    supersedes     TEXT
);
CREATE INDEX products_arrived ON products (first_arrived);

-- Per product and recipient team: when each state was first reached.
CREATE TABLE receipts (
    product_id       TEXT NOT NULL,
    team             TEXT NOT NULL,
    delivered_at     BIGINT,
    seen_at          BIGINT,
    acknowledged_at  BIGINT,
    actioned_at      BIGINT,
    by_user          TEXT,
    note             TEXT,
    updated_at       BIGINT NOT NULL,
    PRIMARY KEY (product_id, team)
);

-- Joint analysis: findings (notes) other teams attached to a product.
CREATE TABLE findings (
    product_id  TEXT NOT NULL,
    note_id     TEXT NOT NULL,
    team        TEXT,
    date_added  BIGINT NOT NULL,
    PRIMARY KEY (product_id, note_id)
);

-- Each local team's duty roster (JSON; webhook secrets sealed).
CREATE TABLE rosters (
    team        TEXT PRIMARY KEY,
    body        TEXT NOT NULL,
    updated_at  BIGINT NOT NULL
);

-- A product a local team must acknowledge, and where its escalation is.
CREATE TABLE assignments (
    product_id    TEXT NOT NULL,
    team          TEXT NOT NULL,
    severity      TEXT NOT NULL,
    arrived_at    BIGINT NOT NULL,
    step          BIGINT NOT NULL,
    next_step_at  BIGINT,
    closed_at     BIGINT,
    PRIMARY KEY (product_id, team)
);
CREATE INDEX assignments_due ON assignments (next_step_at);

-- E-mails and webhooks to send, retried until accepted.
CREATE TABLE notifications (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    product_id  TEXT NOT NULL,
    team        TEXT NOT NULL,
    step        BIGINT NOT NULL,
    contact     TEXT NOT NULL,
    channel     TEXT NOT NULL,
    address     TEXT NOT NULL,
    subject     TEXT NOT NULL,
    body        TEXT NOT NULL,
    secret      TEXT,
    user_name   TEXT,
    state       TEXT NOT NULL,
    attempts    BIGINT NOT NULL DEFAULT 0,
    next_at     BIGINT NOT NULL,
    created_at  BIGINT NOT NULL,
    sent_at     BIGINT,
    last_error  TEXT,
    UNIQUE (product_id, team, step, contact, channel)
);
CREATE INDEX notifications_due ON notifications (state, next_at);

-- Single-use acknowledgement links sent by e-mail; only the hash is kept.
CREATE TABLE ack_links (
    token_hash  TEXT PRIMARY KEY,
    product_id  TEXT NOT NULL,
    team        TEXT NOT NULL,
    contact     TEXT NOT NULL,
    user_name   TEXT,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    used_at     BIGINT
);

-- Reachability drills this node ran.
CREATE TABLE drills (
    product_id  TEXT PRIMARY KEY,
    started_at  BIGINT NOT NULL,
    started_by  TEXT NOT NULL,
    teams       TEXT NOT NULL
);

-- Advance notification: when a product's audience widens, and to whom.
CREATE TABLE embargoes (
    product_id  TEXT PRIMARY KEY,
    widen_at    BIGINT NOT NULL,
    widen_to    TEXT NOT NULL,
    done_at     BIGINT
);
