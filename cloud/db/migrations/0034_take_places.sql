-- A sale's places (a channel's quota for the day, a time slot, the types' day capacity) taken in
-- one statement, in the order given (cloud/capacity/places.ts). These rows are the ones every
-- buyer of a day queues on, each held from its update to the commit: taken one statement each,
-- a booking held the first of them through three more round trips to HQ (bench:peak). Each take
-- is the conditional write it was, refused when it would go past its limit; `failed` names the
-- first place refused (1-based; 0: all taken) and the function stops there (the caller rolls
-- back). `slot` is the time slot's row as taken.
CREATE OR REPLACE FUNCTION take_places(places jsonb, OUT failed integer, OUT slot jsonb) LANGUAGE plpgsql AS $$
DECLARE
  p jsonb;
  i integer := 0;
  v_n integer;
  v_lim integer;
  v_persons integer;
  v_row time_slots;
BEGIN
  failed := 0;
  FOR p IN SELECT value FROM jsonb_array_elements(places) LOOP
    i := i + 1;
    v_n := NULL;
    IF p->>'k' = 'quota' THEN
      v_lim := (p->>'quota')::integer;
      INSERT INTO channel_day_usage AS u (channel_id, day, used) VALUES ((p->>'channel')::integer, p->>'day', (p->>'n')::integer)
        ON CONFLICT (channel_id, day) DO UPDATE SET used = u.used + excluded.used WHERE v_lim IS NULL OR u.used + excluded.used <= v_lim
        RETURNING u.used INTO v_n;
      -- A first booking of the day larger than the quota is inserted whole: refused here.
      IF v_n IS NULL OR v_n > v_lim THEN failed := i; RETURN; END IF;
    ELSIF p->>'k' = 'slot' THEN
      v_persons := (p->>'persons')::integer;
      v_row := NULL;
      IF (p->>'walkIn')::boolean THEN
        -- A window: the walk-in share first, then the rest of the quota.
        UPDATE time_slots s SET sold_walk_in = s.sold_walk_in + v_persons
          WHERE s.site = p->>'site' AND s.venue = p->>'venue' AND s.day = p->>'day' AND s.slot_from = p->>'from'
            AND s.sold + s.sold_walk_in + v_persons <= s.quota
          RETURNING s.* INTO v_row;
      ELSE
        -- Everyone else: the quota less the walk-in share.
        UPDATE time_slots s SET sold = s.sold + v_persons
          WHERE s.site = p->>'site' AND s.venue = p->>'venue' AND s.day = p->>'day' AND s.slot_from = p->>'from'
            AND s.sold + v_persons <= s.quota - s.walk_in AND s.sold + s.sold_walk_in + v_persons <= s.quota
          RETURNING s.* INTO v_row;
      END IF;
      IF v_row.id IS NULL THEN failed := i; RETURN; END IF;
      slot := to_jsonb(v_row);
    ELSIF p->>'k' = 'capacity' THEN
      v_lim := (p->>'cap')::integer;
      v_persons := (p->>'persons')::integer;
      INSERT INTO day_capacity AS c (type_id, day, sold)
        SELECT (p->>'type')::integer, p->>'day', v_persons WHERE v_persons <= v_lim
        ON CONFLICT (type_id, day) DO UPDATE SET sold = c.sold + excluded.sold WHERE c.sold + excluded.sold <= coalesce(c.capacity, v_lim)
        RETURNING c.sold INTO v_n;
      IF v_n IS NULL THEN failed := i; RETURN; END IF;
    ELSE
      RAISE EXCEPTION 'take_places: unknown place %', p;
    END IF;
  END LOOP;
END $$;
