-- Incident reports from the public (issue 9), at the team that receives
-- them: the content stays in the report's STIX incident (TLP:AMBER+STRICT
-- to this team alone); this row is the triage state. The reporter's
-- tracking reference is kept only as its SHA-256.
CREATE TABLE public_reports (
    id TEXT PRIMARY KEY,
    reference_hash TEXT NOT NULL UNIQUE,
    team TEXT NOT NULL,
    received_by TEXT NOT NULL,
    country TEXT NOT NULL,
    category TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    status TEXT NOT NULL DEFAULT 'received',
    incident_ref TEXT,
    reply TEXT,
    updated_at BIGINT NOT NULL,
    updated_by TEXT
);
CREATE INDEX public_reports_team ON public_reports (team, received_at);

-- Reports this node's portal received for a team on another node, until
-- they are delivered: the sealed object is encrypted at rest and erased
-- once the receiving node has it.
CREATE TABLE report_relays (
    reference_hash TEXT PRIMARY KEY,
    team TEXT NOT NULL,
    payload TEXT,
    created_at BIGINT NOT NULL,
    forwarded_at BIGINT,
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    last_error TEXT
);
CREATE INDEX report_relays_due ON report_relays (next_attempt_at);
