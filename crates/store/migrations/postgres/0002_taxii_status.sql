-- TAXII 2.1 status resources, kept so any replica can answer
-- GET /{api-root}/status/{id}/ after a POST.
CREATE TABLE taxii_status (
    id TEXT PRIMARY KEY,
    created_at BIGINT NOT NULL,
    body TEXT NOT NULL
);
