-- How far each derived index has read the stored objects: every version
-- with date_added <= through is indexed. Derived indexes are written by a
-- background indexer after their objects' own transaction, and this row
-- moves in the indexer's transaction with the rows it wrote (src/derived.rs).
-- Keep logically identical to the other back-end's.
CREATE TABLE derived_progress (
    name     TEXT PRIMARY KEY,
    through  BIGINT NOT NULL
);
-- Until this migration both were written with each object, so what is
-- stored is already indexed.
INSERT INTO derived_progress (name, through)
SELECT 'search', COALESCE(MAX(date_added), 0) FROM objects;
INSERT INTO derived_progress (name, through)
SELECT 'correlation', COALESCE(MAX(date_added), 0) FROM objects;
