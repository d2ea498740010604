-- Search documents are now built by the node (src/objects/search/document.rs)
-- in the words of SQLite's unicode61 tokenizer, case and Latin diacritics
-- folded, rather than by to_tsvector here. Keep logically identical to
-- ../sqlite: the same fields, in the same order, cut at the same length.
DROP VIEW object_search_source;
DROP FUNCTION search_words(text);

-- Documents written by to_tsvector did not fold diacritics: the derived-
-- index indexer rebuilds them all, from the first stored object on, as soon
-- as the node starts. Searches meanwhile index inline what they need.
TRUNCATE object_search;
UPDATE derived_progress SET through = 0 WHERE name = 'search';
