-- Row images of the tables on the audit list (cloud/audit/tables.ts) go into the audit chain in
-- their own transaction; cloud/audit/README.md says how a table joins. Records wait in
-- audit_pending and are chained at commit by a deferred trigger, so the chain's lock is the
-- last lock a transaction takes (two financial transactions never wait on each other through it).

-- A row as the chain images it: every column, or only some; secrets as their SHA-256.
CREATE OR REPLACE FUNCTION audit_image(img jsonb, only_cols text[], redact text[]) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN cardinality(only_cols) = 0 AND cardinality(redact) = 0 THEN img ELSE coalesce((
    SELECT jsonb_object_agg(e.key, CASE WHEN e.key = ANY (redact) AND e.value <> 'null'::jsonb
      THEN to_jsonb(encode(pg_catalog.sha256(convert_to(e.value #>> '{}', 'UTF8')), 'hex')) ELSE e.value END)
    FROM jsonb_each(img) e WHERE cardinality(only_cols) = 0 OR e.key = ANY (only_cols)), '{}'::jsonb) END
$$;--> statement-breakpoint

-- A row's subject in the chain: its key columns' values joined by '/'.
CREATE OR REPLACE FUNCTION audit_key(img jsonb, keys text[]) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN cardinality(keys) = 1 THEN img ->> keys[1]
    ELSE (SELECT string_agg(coalesce(img ->> k, ''), '/' ORDER BY o) FROM unnest(keys) WITH ORDINALITY AS u(k, o)) END
$$;--> statement-breakpoint

CREATE OR REPLACE FUNCTION audit_row() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  keys text[] := string_to_array(TG_ARGV[0], ',');
  only_cols text[] := string_to_array(TG_ARGV[1], ',');
  redact text[] := string_to_array(TG_ARGV[2], ',');
  who text := nullif(current_setting('audit.actor', true), '');
  img jsonb;
  before jsonb;
BEGIN
  IF TG_OP = 'DELETE' THEN
    img := audit_image(to_jsonb(OLD), only_cols, redact);
  ELSE
    img := audit_image(to_jsonb(NEW), only_cols, redact);
  END IF;
  IF TG_OP = 'UPDATE' THEN
    before := audit_image(to_jsonb(OLD), only_cols, redact);
    IF before = img THEN RETURN NULL; END IF; -- nothing imaged changed (a busy column)
    IF audit_key(before, keys) IS DISTINCT FROM audit_key(img, keys) THEN
      -- a new key: the old row is gone, a new one is there
      INSERT INTO audit_pending (actor, action, subject, tbl, body) VALUES (who, 'delete', audit_key(before, keys), TG_TABLE_NAME, before);
      INSERT INTO audit_pending (actor, action, subject, tbl, body) VALUES (who, 'insert', audit_key(img, keys), TG_TABLE_NAME, img);
      RETURN NULL;
    END IF;
  END IF;
  INSERT INTO audit_pending (actor, action, subject, tbl, body) VALUES (who, lower(TG_OP), audit_key(img, keys), TG_TABLE_NAME, img);
  RETURN NULL;
END $$;--> statement-breakpoint

-- The first record of a transaction queues the flush at commit (one deferred event, not one per row).
CREATE OR REPLACE FUNCTION audit_pending_mark() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.tx := txid_current();
  NEW.first := current_setting('audit.queued', true) IS DISTINCT FROM NEW.tx::text;
  IF NEW.first THEN PERFORM set_config('audit.queued', NEW.tx::text, true); END IF;
  RETURN NEW;
END $$;--> statement-breakpoint

-- At commit: this transaction's records, in the order they were written, onto the chain.
-- hash = SHA-256(prev hash || [seq, at in µs, actor, action, subject, table, SHA-256(body)] as jsonb text).
CREATE OR REPLACE FUNCTION audit_flush() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  me bigint := txid_current();
  last_seq bigint;
  last_hash text;
  who text;
  r record;
  rh text;
  h text;
BEGIN
  PERFORM set_config('audit.queued', '', true);
  IF NOT EXISTS (SELECT 1 FROM audit_pending WHERE tx = me) THEN RETURN NULL; END IF;
  PERFORM pg_advisory_xact_lock(7302);
  SELECT seq, hash INTO last_seq, last_hash FROM audit_log ORDER BY seq DESC LIMIT 1;
  last_seq := coalesce(last_seq, 0);
  last_hash := coalesce(last_hash, repeat('0', 64));
  -- rows written by HQ's code carry the person its actions name
  SELECT actor INTO who FROM audit_pending WHERE tx = me AND actor IS NOT NULL ORDER BY n LIMIT 1;
  who := coalesce(who, 'db:' || session_user);
  FOR r IN SELECT * FROM audit_pending WHERE tx = me ORDER BY n LOOP
    last_seq := last_seq + 1;
    rh := encode(pg_catalog.sha256(convert_to(r.body::text, 'UTF8')), 'hex');
    h := encode(pg_catalog.sha256(convert_to(last_hash || jsonb_build_array(last_seq, (extract(epoch FROM r.at) * 1000000)::bigint,
      coalesce(r.actor, who), r.action, r.subject, r.tbl, rh)::text, 'UTF8')), 'hex');
    INSERT INTO audit_log (seq, at, actor, action, subject, body, prev_hash, hash, v, tx, tbl, row_hash)
      VALUES (last_seq, r.at, coalesce(r.actor, who), r.action, r.subject, r.body, last_hash, h, 2, me, r.tbl, rh);
    last_hash := h;
  END LOOP;
  DELETE FROM audit_pending WHERE tx = me;
  RETURN NULL;
END $$;--> statement-breakpoint

CREATE TRIGGER audit_pending_mark BEFORE INSERT ON audit_pending FOR EACH ROW EXECUTE FUNCTION audit_pending_mark();--> statement-breakpoint
CREATE CONSTRAINT TRIGGER audit_flush AFTER INSERT ON audit_pending DEFERRABLE INITIALLY DEFERRED
  FOR EACH ROW WHEN (NEW.first) EXECUTE FUNCTION audit_flush();--> statement-breakpoint

-- Puts a table on the chain: its trigger, and an image of every row it holds now (the chain
-- vouches for rows from here on). Called again after a column is added to re-image the rows.
CREATE OR REPLACE FUNCTION audit_track(t regclass, keys text, only_cols text DEFAULT '', redact text DEFAULT '') RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  name text := (SELECT relname FROM pg_class WHERE oid = t);
BEGIN
  EXECUTE format('DROP TRIGGER IF EXISTS audit_row ON %s', t);
  EXECUTE format('CREATE TRIGGER audit_row AFTER INSERT OR UPDATE OR DELETE ON %s FOR EACH ROW EXECUTE FUNCTION audit_row(%L, %L, %L)',
    t, keys, only_cols, redact);
  EXECUTE format('INSERT INTO audit_pending (actor, action, subject, tbl, body) SELECT %L, %L, s.k, %L, s.i FROM '
    '(SELECT audit_key(i, %L) AS k, i FROM (SELECT audit_image(to_jsonb(x), %L, %L) AS i FROM %s x) y) s ORDER BY s.k',
    'migration', 'baseline', name, string_to_array(keys, ','), string_to_array(only_cols, ','), string_to_array(redact, ','), t);
END $$;--> statement-breakpoint

SELECT audit_track('sales', 'id', '', '');--> statement-breakpoint
SELECT audit_track('tickets', 'id', '', '');--> statement-breakpoint
SELECT audit_track('credentials', 'kind,value,ticket_id', '', '');--> statement-breakpoint
SELECT audit_track('orders', 'id', '', '');--> statement-breakpoint
SELECT audit_track('payments', 'id', '', '');--> statement-breakpoint
SELECT audit_track('payment_intents', 'id', '', '');--> statement-breakpoint
SELECT audit_track('refunds', 'id', '', '');--> statement-breakpoint
SELECT audit_track('ticket_events', 'id', '', '');--> statement-breakpoint
SELECT audit_track('customer_accounts', 'id', '', '');--> statement-breakpoint
SELECT audit_track('account_entries', 'id', '', '');--> statement-breakpoint
SELECT audit_track('vouchers', 'code', '', '');--> statement-breakpoint
SELECT audit_track('voucher_redemptions', 'code', '', '');--> statement-breakpoint
SELECT audit_track('guide_ledger', 'id', '', '');--> statement-breakpoint
SELECT audit_track('contracts', 'id', '', '');--> statement-breakpoint
SELECT audit_track('stock_batches', 'id', '', '');--> statement-breakpoint
SELECT audit_track('stock_items', 'serial', '', '');--> statement-breakpoint
SELECT audit_track('stock_moves', 'id', '', '');--> statement-breakpoint
SELECT audit_track('shifts', 'id', '', '');--> statement-breakpoint
SELECT audit_track('member_cards', 'id', '', '');--> statement-breakpoint
SELECT audit_track('member_card_events', 'id', '', '');--> statement-breakpoint
SELECT audit_track('bookings', 'id', '', '');--> statement-breakpoint
SELECT audit_track('booking_items', 'booking_id,type_id', '', '');--> statement-breakpoint
SELECT audit_track('channels', 'id', '', '');--> statement-breakpoint
SELECT audit_track('channel_prices', 'channel_id,type_id', '', '');--> statement-breakpoint
SELECT audit_track('channel_day_usage', 'channel_id,day', '', '');--> statement-breakpoint
SELECT audit_track('ticket_types', 'id', '', '');--> statement-breakpoint
SELECT audit_track('price_rules', 'id', '', '');--> statement-breakpoint
SELECT audit_track('holidays', 'day', '', '');--> statement-breakpoint
SELECT audit_track('discounts', 'id', '', '');--> statement-breakpoint
SELECT audit_track('day_capacity', 'type_id,day', '', '');--> statement-breakpoint
SELECT audit_track('guides', 'id', '', '');--> statement-breakpoint
SELECT audit_track('users', 'id', '', 'password_hash');--> statement-breakpoint
SELECT audit_track('seller_types', 'user_id,type_id', '', '');--> statement-breakpoint
SELECT audit_track('seller_discounts', 'user_id,discount_id', '', '');--> statement-breakpoint
SELECT audit_track('devices', 'site,device', 'site,device,role,lanes,name,active,provisioned_at', '');--> statement-breakpoint
SELECT audit_track('device_credentials', 'site,device,role', '', '');
--> statement-breakpoint
SELECT audit_track('wallets', 'id', '', '');--> statement-breakpoint
SELECT audit_track('wallet_lines', 'movement_id,account', '', '');--> statement-breakpoint
SELECT audit_track('pos_charges', 'charge_id', '', '');--> statement-breakpoint
SELECT audit_track('shop_items', 'shop,code', '', '');--> statement-breakpoint
SELECT audit_track('lockers', 'site,code', '', '');--> statement-breakpoint
SELECT audit_track('hub_uploads', 'site,hub,seq', '', '');
