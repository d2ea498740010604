-- The search source of 0008, unchanged in what it reads, but the raw JSON
-- is copied to swap an escaped U+0000 for a space only when it holds one:
-- replace() copied every object's text on the insert path, while instr()
-- only scans it. Keep logically identical to ../postgres.
DROP VIEW object_search_source;
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
FROM (SELECT date_added,
             CASE WHEN instr(raw, '\u0000') > 0 THEN replace(raw, '\u0000', '\u0020')
                  ELSE raw END AS raw
      FROM objects) AS o;
