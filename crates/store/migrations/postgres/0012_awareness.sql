-- Awareness pages the team writes for the public, in Markdown, one row
-- per page and language (issue 9).
CREATE TABLE awareness_pages (
    slug TEXT NOT NULL,
    lang TEXT NOT NULL,
    title TEXT NOT NULL,
    markdown TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    updated_by TEXT NOT NULL,
    PRIMARY KEY (slug, lang)
);
