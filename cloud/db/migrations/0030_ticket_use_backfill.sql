-- The running use counter (ticket_use) starts as the recount of the entries HQ holds; from here
-- on ingest (cloud/entries/ingest.ts) adds each entry it inserts in the same transaction.
INSERT INTO ticket_use (ticket_id, venue, used, devices)
SELECT ticket_id, venue,
  coalesce(sum(CASE WHEN kind = 'normal' AND direction = 'in' THEN persons WHEN kind = 'return' THEN -persons ELSE 0 END), 0)::int,
  coalesce(array_agg(DISTINCT device ORDER BY device) FILTER (WHERE kind = 'normal'), '{}')
FROM entries WHERE ticket_id IS NOT NULL AND kind IN ('normal', 'return')
GROUP BY ticket_id, venue;
