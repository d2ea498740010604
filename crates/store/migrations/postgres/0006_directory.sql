-- The directory and census. Keep logically identical across back-ends.
-- Directory entries, endorsements and census requests and responses are
-- STIX objects in `objects`; these tables hold what is this node's own.

-- The member-state register: loaded from a CSV file, edited by the
-- operator; the Secretariat records notifications and activations here.
CREATE TABLE member_states (
    iso2          TEXT PRIMARY KEY,
    iso3          TEXT NOT NULL,
    name          TEXT NOT NULL,
    subregion     TEXT NOT NULL,
    languages     TEXT NOT NULL,
    timezone      TEXT NOT NULL,
    note          TEXT NOT NULL,
    notified_on   TEXT,
    notification  TEXT,
    activated_on  TEXT,
    updated_at    BIGINT NOT NULL
);

-- Questionnaire versions; a campaign keeps a copy of the one it sent.
CREATE TABLE census_questionnaires (
    version     BIGINT PRIMARY KEY,
    body        TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);

-- Campaigns this node runs; recipients and reminder counts as JSON.
CREATE TABLE census_campaigns (
    id             TEXT PRIMARY KEY,
    title          TEXT NOT NULL,
    questionnaire  BIGINT NOT NULL,
    recipients     TEXT NOT NULL,
    reminders      TEXT NOT NULL,
    deadline       TEXT,
    created_by     TEXT NOT NULL,
    created_at     BIGINT NOT NULL,
    closed_at      BIGINT
);
