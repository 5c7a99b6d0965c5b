-- The audit chain's append by sets (bench:peak: the server's CPU per sale).
-- 1. audit_append took each waiting record in a loop of its own statements (a row's hash, the
--    chain's hash, one INSERT into audit_log each: ~75 µs of the server's CPU a record, ~12
--    records a sale). Now one statement reads every record's place, actor and row hash, the loop
--    does only what must be one after another (each chain hash is on the one before), and one
--    INSERT writes them all. The records, their order and their hashes are the same.
-- 2. A key of two columns (channel_day_usage, day_capacity, devices ...) is made in audit_row
--    itself, as audit_key makes it: audit_key is an SQL function with a subquery, planned again
--    on every call (~20 µs, ~6 calls a sale).
CREATE OR REPLACE FUNCTION audit_row() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  keys text[] := string_to_array(TG_ARGV[0], ',');
  plain boolean := TG_ARGV[1] = '' AND TG_ARGV[2] = '';
  who text := nullif(current_setting('audit.actor', true), '');
  me text := txid_current()::text;
  first boolean := current_setting('audit.queued', true) IS DISTINCT FROM me;
  img jsonb;
  before jsonb;
  img_key text;
  before_key text;
BEGIN
  IF TG_OP = 'DELETE' THEN
    img := to_jsonb(OLD);
  ELSE
    img := to_jsonb(NEW);
  END IF;
  IF NOT plain THEN img := audit_image(img, string_to_array(TG_ARGV[1], ','), string_to_array(TG_ARGV[2], ',')); END IF;
  IF cardinality(keys) = 1 THEN img_key := img ->> keys[1];
  ELSIF cardinality(keys) = 2 THEN img_key := coalesce(img ->> keys[1], '') || '/' || coalesce(img ->> keys[2], '');
  ELSE img_key := audit_key(img, keys); END IF;
  IF TG_OP = 'UPDATE' THEN
    before := to_jsonb(OLD);
    IF NOT plain THEN before := audit_image(before, string_to_array(TG_ARGV[1], ','), string_to_array(TG_ARGV[2], ',')); END IF;
    IF before = img THEN RETURN NULL; END IF; -- nothing imaged changed (a busy column)
    IF cardinality(keys) = 1 THEN before_key := before ->> keys[1];
    ELSIF cardinality(keys) = 2 THEN before_key := coalesce(before ->> keys[1], '') || '/' || coalesce(before ->> keys[2], '');
    ELSE before_key := audit_key(before, keys); END IF;
  END IF;
  -- The transaction's first record queues audit_flush at its commit (as audit_pending_mark did).
  IF first THEN PERFORM set_config('audit.queued', me, true); END IF;
  IF TG_OP = 'UPDATE' AND before_key IS DISTINCT FROM img_key THEN
    -- a new key: the old row is gone, a new one is there
    INSERT INTO audit_pending (actor, action, subject, tbl, body, first) VALUES (who, 'delete', before_key, TG_TABLE_NAME, before, first);
    INSERT INTO audit_pending (actor, action, subject, tbl, body, first) VALUES (who, 'insert', img_key, TG_TABLE_NAME, img, false);
    RETURN NULL;
  END IF;
  INSERT INTO audit_pending (actor, action, subject, tbl, body, first) VALUES (who, lower(TG_OP), img_key, TG_TABLE_NAME, img, first);
  RETURN NULL;
END $$;--> statement-breakpoint--> statement-breakpoint

CREATE OR REPLACE FUNCTION audit_append(only_tx bigint) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
  me bigint := txid_current();
  txs bigint[];
  base bigint;
  last_hash text;
  ns bigint[];
  pres text[];
  whos text[];
  rhs text[];
  prevs text[] := '{}';
  hashes text[] := '{}';
BEGIN
  IF only_tx IS NULL THEN
    IF NOT EXISTS (SELECT 1 FROM audit_pending_tx WHERE tx <> me) THEN RETURN 0; END IF;
  ELSIF NOT EXISTS (SELECT 1 FROM audit_pending WHERE tx = only_tx) THEN
    RETURN 0;
  END IF;
  PERFORM pg_advisory_xact_lock(7302);
  IF only_tx IS NULL THEN
    SELECT coalesce(array_agg(tx ORDER BY ord NULLS FIRST, tx), '{}') INTO txs FROM audit_pending_tx WHERE tx <> me;
  ELSE
    txs := ARRAY[only_tx];
  END IF;
  SELECT seq, hash INTO base, last_hash FROM audit_log ORDER BY seq DESC LIMIT 1;
  base := coalesce(base, 0);
  last_hash := coalesce(last_hash, repeat('0', 64));
  -- In chain order: each record's actor (rows written by HQ's code carry the person its actions
  -- name), the hash of its body, and the text its chain hash is taken over.
  SELECT array_agg(q.n ORDER BY q.k), array_agg(q.who ORDER BY q.k), array_agg(q.rh ORDER BY q.k),
      array_agg(jsonb_build_array(base + q.k, (extract(epoch FROM q.at) * 1000000)::bigint, q.who, q.action, q.subject, q.tbl, q.rh)::text ORDER BY q.k)
    INTO ns, whos, rhs, pres
    FROM (SELECT p.n, p.at, p.action, p.subject, p.tbl,
            coalesce(p.actor, first_value(p.actor) OVER (PARTITION BY p.tx ORDER BY (p.actor IS NULL), p.n), 'db:' || session_user) AS who,
            encode(pg_catalog.sha256(convert_to(p.body::text, 'UTF8')), 'hex') AS rh,
            row_number() OVER (ORDER BY o.i, p.n) AS k
          FROM unnest(txs) WITH ORDINALITY AS o(tx, i) JOIN audit_pending p ON p.tx = o.tx) q;
  IF ns IS NULL THEN
    DELETE FROM audit_pending_tx WHERE tx = ANY (txs);
    RETURN 0;
  END IF;
  -- hash = SHA-256(prev hash || [seq, at in µs, actor, action, subject, table, SHA-256(body)] as jsonb text)
  FOR i IN 1 .. cardinality(ns) LOOP
    prevs := prevs || last_hash;
    last_hash := encode(pg_catalog.sha256(convert_to(last_hash || pres[i], 'UTF8')), 'hex');
    hashes := hashes || last_hash;
  END LOOP;
  INSERT INTO audit_log (seq, at, actor, action, subject, body, prev_hash, hash, v, tx, tbl, row_hash)
    SELECT base + s.k, p.at, s.who, p.action, p.subject, p.body, s.prev, s.hash, 2, p.tx, p.tbl, s.rh
    FROM unnest(ns, whos, rhs, prevs, hashes) WITH ORDINALITY AS s(n, who, rh, prev, hash, k) JOIN audit_pending p ON p.n = s.n;
  DELETE FROM audit_pending WHERE n = ANY (ns);
  DELETE FROM audit_pending_tx WHERE tx = ANY (txs);
  RETURN cardinality(ns);
END $$;
