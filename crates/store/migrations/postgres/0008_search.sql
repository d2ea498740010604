-- Full-text search over stored objects. Keep logically identical to
-- ../sqlite: the same fields, in the same order, cut at the same length.
--
-- What is searched, read from each object's raw JSON: its title-like text
-- (name, title), observable values (value, hashes), indicator patterns,
-- abstract, description and note content. Short, identifying fields come
-- first, so the cut at 100,000 characters falls on long prose. The cut
-- also keeps a document below the 1 MB a tsvector may hold.

-- The words of a text as search sees them, for documents and queries
-- alike: ASCII punctuation separates words, as in SQLite's unicode61, so
-- "198.51.100.7" becomes the phrase 198 51 100 7 and "evil.example" the
-- phrase evil example, rather than one 'host' token the parser would make.
CREATE FUNCTION search_words(body text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS $fn$ SELECT translate(body, '!"#$%&''()*+,-./:;<=>?@[\]^_`{|}~', '                                ') $fn$;

-- The one definition of a document: this migration fills the index from it
-- and the insert path (objects/insert.rs) indexes each new row through it.
-- A later migration that changes `objects` must recreate it.
-- json, not jsonb: it parses once here and keeps numbers as written, so no
-- number serde_json accepted can overflow. PostgreSQL text cannot hold
-- U+0000, which JSON may escape as \u0000: it is read as a space instead.
CREATE VIEW object_search_source AS
SELECT o.date_added AS date_added,
       to_tsvector('simple', search_words(left(concat_ws(' ',
           f.name,
           f.title,
           f."value",
           CASE WHEN json_typeof(f.hashes) = 'object' THEN
               (SELECT string_agg(h.value, ' ') FROM json_each_text(f.hashes) AS h)
           END,
           f.pattern,
           f."abstract",
           f.description,
           f.content), 100000))) AS document
FROM objects o
CROSS JOIN LATERAL json_to_record(replace(o.raw, '\u0000', '\u0020')::json) AS f(
    name text, title text, "value" text, hashes json, pattern text,
    "abstract" text, description text, content text
);

-- Every stored version is indexed; searches keep the latest, so a new
-- version needs no upkeep of older rows. No foreign key, as for
-- object_access: written only with its object, in one transaction.
CREATE TABLE object_search (
    date_added  BIGINT PRIMARY KEY,
    document    tsvector NOT NULL
);

INSERT INTO object_search (date_added, document)
SELECT date_added, document FROM object_search_source;

-- Built after the backfill, which is faster than updating it row by row.
CREATE INDEX object_search_document ON object_search USING gin (document);
