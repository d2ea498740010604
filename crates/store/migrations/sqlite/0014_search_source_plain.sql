-- The search source of 0008 for objects whose raw JSON holds no escaped
-- U+0000, which is nearly all: it reads the raw JSON as stored. 0008's
-- view copies the raw JSON to swap that escape, once per field it reads
-- (the copy is inlined into each), which cost the insert path about ten
-- copies of every object. The insert path picks the view per row
-- (objects/search.rs); the two agree on every other object (tested).
CREATE VIEW object_search_source_plain AS
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
FROM objects AS o;
