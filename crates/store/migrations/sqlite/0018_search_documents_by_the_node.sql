-- On PostgreSQL, search documents are now built by the node in the words
-- of this back-end's unicode61 tokenizer (migration 0008). Nothing changes
-- here; the migration keeps both back-ends' histories in step.
SELECT 1;
