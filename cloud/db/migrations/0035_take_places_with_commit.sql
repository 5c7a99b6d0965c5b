-- take_places for a sale whose places are its last statement, sent in one text with its commit
-- (cloud/capacity/places.ts, cloud/db/begin.ts sendWithCommit). A refusal must then stop the
-- commit, so it is raised rather than returned: SQLSTATE TKP01, its DETAIL the JSON
-- {"failed": n, "slot": ...} take_places would have answered; the commit after it in the text is
-- skipped and the caller rolls back. All taken: the slot's row as taken (or null).
CREATE OR REPLACE FUNCTION take_places_or_refuse(places jsonb) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
  r record;
BEGIN
  SELECT t.failed, t.slot INTO r FROM take_places(places) t;
  IF r.failed > 0 THEN
    RAISE EXCEPTION 'take_places: place % refused', r.failed
      USING ERRCODE = 'TKP01', DETAIL = jsonb_build_object('failed', r.failed, 'slot', r.slot)::text;
  END IF;
  RETURN r.slot;
END $$;
