-- Full-text search over stored objects. Keep logically identical to
-- ../postgres: the same fields, in the same order, cut at the same length.
--
-- What is searched, read from each object's raw JSON: its title-like text
-- (name, title), observable values (value, hashes), indicator patterns,
-- abstract, description and note content. Short, identifying fields come
-- first, so the cut at 100,000 characters falls on long prose.
-- The view is the one definition: this migration fills the index from it
-- and the insert path (objects/insert.rs) indexes each new row through it.
-- A later migration that changes `objects` must recreate it.
-- A text value read from JSON ends at U+0000, which JSON may escape as
-- \u0000: it is read as a space instead, as on PostgreSQL.
CREATE VIEW object_search_source AS
SELECT o.date_added AS date_added,
       CASE WHEN json_valid(o.raw) THEN substr(concat_ws(' ',
           o.raw ->> '$.name',
           o.raw ->> '$.title',
           o.raw ->> '$.value',
           CASE WHEN json_type(o.raw, '$.hashes') = 'object' THEN
               (SELECT group_concat(h.value, ' ') FROM json_each(o.raw, '$.hashes') AS h)
           END,
           o.raw ->> '$.pattern',
           o.raw ->> '$.abstract',
           o.raw ->> '$.description',
           o.raw ->> '$.content'), 1, 100000)
       ELSE '' END AS body
FROM (SELECT date_added, replace(raw, '\u0000', '\u0020') AS raw FROM objects) AS o;

-- Every stored version is indexed (rowid = date_added); searches keep the
-- latest, so a new version needs no upkeep of older rows. Contentless:
-- the text is in `objects.raw` already. unicode61 splits on anything
-- but letters and digits, so "198.51.100.7" is the phrase 198 51 100 7,
-- folds case and, unlike PostgreSQL's 'simple', diacritics.
CREATE VIRTUAL TABLE object_search USING fts5(
    body,
    content = '',
    contentless_delete = 1,
    tokenize = 'unicode61 remove_diacritics 2'
);

INSERT INTO object_search (rowid, body)
SELECT date_added, body FROM object_search_source;
