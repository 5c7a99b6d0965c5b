-- The audit chain's queue with less work per record (bench:peak: the server's CPU per sale).
-- 1. Which deferred transactions (audit.defer, chained after their commit) have committed, and
--    in what order, is one row per transaction in audit_pending_tx, written by audit_flush at
--    commit. Before, audit_flush numbered each of the transaction's records (UPDATE audit_pending
--    SET ord: a new version of every record, ~20 a sale), and audit_chain found committed records
--    by scanning all of audit_pending, dead versions included. It now reads the few rows of
--    audit_pending_tx and each transaction's records by the tx index.
-- 2. A record's `first` (the one whose insert queues audit_flush) is set by audit_row, the
--    trigger that writes the record, where a second trigger per record (audit_pending_mark) set
--    it before. audit_pending_mark still marks a record written without it (first is null: HQ's
--    action records, psql).
-- The chain is the same: the same records, in the same order, with the same hashes.
CREATE TABLE "audit_pending_tx" (
	"tx" bigint PRIMARY KEY NOT NULL,
	"ord" bigint
);
--> statement-breakpoint
-- Records committed under the old numbering keep their place (no number: first, as before).
INSERT INTO audit_pending_tx (tx, ord) SELECT tx, max(ord) FROM audit_pending GROUP BY tx;--> statement-breakpoint
ALTER TABLE "audit_pending" ALTER COLUMN "first" DROP DEFAULT;--> statement-breakpoint
ALTER TABLE "audit_pending" ALTER COLUMN "first" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "audit_pending" DROP COLUMN "ord";--> statement-breakpoint
DROP TRIGGER audit_pending_mark ON audit_pending;--> statement-breakpoint
CREATE TRIGGER audit_pending_mark BEFORE INSERT ON audit_pending FOR EACH ROW WHEN (NEW.first IS NULL) EXECUTE FUNCTION audit_pending_mark();--> statement-breakpoint

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
  IF cardinality(keys) = 1 THEN img_key := img ->> keys[1]; ELSE img_key := audit_key(img, keys); END IF;
  IF TG_OP = 'UPDATE' THEN
    before := to_jsonb(OLD);
    IF NOT plain THEN before := audit_image(before, string_to_array(TG_ARGV[1], ','), string_to_array(TG_ARGV[2], ',')); END IF;
    IF before = img THEN RETURN NULL; END IF; -- nothing imaged changed (a busy column)
    IF cardinality(keys) = 1 THEN before_key := before ->> keys[1]; ELSE before_key := audit_key(before, keys); END IF;
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
END $$;--> statement-breakpoint

-- At commit (the transaction's first record queued it): a deferred transaction takes its place
-- in the commit order; any other is chained now. A second flush in one commit (a record
-- written by another deferred trigger after this one ran) takes the later place.
CREATE OR REPLACE FUNCTION audit_flush() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM set_config('audit.queued', '', true);
  IF current_setting('audit.defer', true) = 'on' THEN
    INSERT INTO audit_pending_tx AS t (tx, ord) VALUES (txid_current(), nextval('audit_commit_seq'))
      ON CONFLICT (tx) DO UPDATE SET ord = excluded.ord;
    RETURN NULL;
  END IF;
  PERFORM audit_append(txid_current());
  RETURN NULL;
END $$;--> statement-breakpoint

-- Chains records waiting in audit_pending: those of transaction `only_tx` (at its commit), or
-- with null those of every committed deferred transaction (audit_chain: audit_pending_tx), one
-- transaction's records together and in the order they were written, transactions in the order
-- they committed. hash = SHA-256(prev hash || [seq, at in µs, actor, action, subject, table,
-- SHA-256(body)] as jsonb text), as before. One writer at a time (the chain's lock); what
-- another writer chained meanwhile is gone when the lock is ours. Returns how many it chained.
CREATE OR REPLACE FUNCTION audit_append(only_tx bigint) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
  me bigint := txid_current();
  txs bigint[];
  last_seq bigint;
  last_hash text;
  r record;
  rh text;
  h text;
  who text;
  done bigint[] := '{}';
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
  SELECT seq, hash INTO last_seq, last_hash FROM audit_log ORDER BY seq DESC LIMIT 1;
  last_seq := coalesce(last_seq, 0);
  last_hash := coalesce(last_hash, repeat('0', 64));
  -- rows written by HQ's code carry the person its actions name
  FOR r IN SELECT p.*, first_value(p.actor) OVER (PARTITION BY p.tx ORDER BY (p.actor IS NULL), p.n) AS tx_actor
    FROM unnest(txs) WITH ORDINALITY AS o(tx, i) JOIN audit_pending p ON p.tx = o.tx ORDER BY o.i, p.n LOOP
    last_seq := last_seq + 1;
    who := coalesce(r.actor, r.tx_actor, 'db:' || session_user);
    rh := encode(pg_catalog.sha256(convert_to(r.body::text, 'UTF8')), 'hex');
    h := encode(pg_catalog.sha256(convert_to(last_hash || jsonb_build_array(last_seq, (extract(epoch FROM r.at) * 1000000)::bigint,
      who, r.action, r.subject, r.tbl, rh)::text, 'UTF8')), 'hex');
    INSERT INTO audit_log (seq, at, actor, action, subject, body, prev_hash, hash, v, tx, tbl, row_hash)
      VALUES (last_seq, r.at, who, r.action, r.subject, r.body, last_hash, h, 2, r.tx, r.tbl, rh);
    last_hash := h;
    done := done || r.n;
  END LOOP;
  DELETE FROM audit_pending WHERE n = ANY (done);
  DELETE FROM audit_pending_tx WHERE tx = ANY (txs);
  RETURN cardinality(done);
END $$;
