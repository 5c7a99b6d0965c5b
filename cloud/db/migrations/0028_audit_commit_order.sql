ALTER TABLE "audit_pending" ADD COLUMN "ord" bigint;--> statement-breakpoint
-- Transactions chained after their commit (audit.defer) are taken in the order they committed,
-- not in the order of their ids: a transaction that got its id first may write a row after
-- another one committed it (it waited on the row's lock), and its image must be the later one.
-- audit_flush, at commit, draws the transaction's place from a sequence: of two writers of one
-- row, the second can only reach its commit after the first committed.
CREATE SEQUENCE IF NOT EXISTS audit_commit_seq;--> statement-breakpoint
CREATE OR REPLACE FUNCTION audit_flush() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  o bigint;
BEGIN
  PERFORM set_config('audit.queued', '', true);
  IF current_setting('audit.defer', true) = 'on' THEN
    o := nextval('audit_commit_seq');
    UPDATE audit_pending SET ord = o WHERE tx = txid_current();
    RETURN NULL;
  END IF;
  PERFORM audit_append(txid_current());
  RETURN NULL;
END $$;--> statement-breakpoint

CREATE OR REPLACE FUNCTION audit_append(only_tx bigint) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
  me bigint := txid_current();
  last_seq bigint;
  last_hash text;
  r record;
  rh text;
  h text;
  who text;
  done bigint[] := '{}';
BEGIN
  IF NOT EXISTS (SELECT 1 FROM audit_pending WHERE (only_tx IS NULL AND tx <> me) OR tx = only_tx) THEN RETURN 0; END IF;
  PERFORM pg_advisory_xact_lock(7302);
  SELECT seq, hash INTO last_seq, last_hash FROM audit_log ORDER BY seq DESC LIMIT 1;
  last_seq := coalesce(last_seq, 0);
  last_hash := coalesce(last_hash, repeat('0', 64));
  -- rows written by HQ's code carry the person its actions name
  FOR r IN SELECT p.*, first_value(p.actor) OVER (PARTITION BY p.tx ORDER BY (p.actor IS NULL), p.n) AS tx_actor
    FROM audit_pending p WHERE (only_tx IS NULL AND p.tx <> me) OR p.tx = only_tx ORDER BY max(p.ord) OVER (PARTITION BY p.tx) NULLS FIRST, p.tx, p.n LOOP
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
  RETURN cardinality(done);
END $$;
