-- Assistance requests between teams (issue 9, C-061): projected from the
-- request and step notes both sides exchange.
CREATE TABLE assistance_requests (
    id TEXT PRIMARY KEY,
    requester TEXT NOT NULL,
    helper TEXT NOT NULL,
    need TEXT NOT NULL,
    urgency TEXT NOT NULL,
    tlp TEXT NOT NULL,
    incident_ref TEXT,
    state TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX assistance_requester ON assistance_requests (requester, updated_at);
CREATE INDEX assistance_helper ON assistance_requests (helper, updated_at);
CREATE TABLE assistance_steps (
    id TEXT PRIMARY KEY,
    request_id TEXT NOT NULL,
    team TEXT NOT NULL,
    state TEXT NOT NULL,
    note TEXT NOT NULL,
    at BIGINT NOT NULL
);
CREATE INDEX assistance_steps_request ON assistance_steps (request_id, at);
