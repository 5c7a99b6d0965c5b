-- HQ's audited transactions (auditedTx, cloud/audit/chain.ts) commit first and are chained just
-- after, by audit_chain(), in batches: at a release moment the chain's lock is then held once
-- for many sales instead of by each sale through its commit (and its fsync), and no sale's
-- row locks (a hot quota row) wait on the chain. Such a transaction says so with the setting
-- audit.defer = on; its records wait in audit_pending, committed with it, until chained.
-- Every other writer (psql, tools) is still chained at its own commit, as before.
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
  IF current_setting('audit.defer', true) = 'on' THEN RETURN NULL; END IF;
  IF NOT EXISTS (SELECT 1 FROM audit_pending WHERE tx = me) THEN RETURN NULL; END IF;
  PERFORM pg_advisory_xact_lock(7302);
  SELECT seq, hash INTO last_seq, last_hash FROM audit_log ORDER BY seq DESC LIMIT 1;
  last_seq := coalesce(last_seq, 0);
  last_hash := coalesce(last_hash, repeat('0', 64));
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

-- Chains every committed record waiting in audit_pending, one transaction's records together
-- and in the order they were written, transactions in the order of their ids; the same hash
-- rule as audit_flush. One writer at a time (the chain's lock); what another writer chained
-- meanwhile is gone from audit_pending when the lock is ours. Returns how many it chained.
CREATE OR REPLACE FUNCTION audit_chain() RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
  last_seq bigint;
  last_hash text;
  r record;
  rh text;
  h text;
  done bigint[] := '{}';
BEGIN
  IF NOT EXISTS (SELECT 1 FROM audit_pending WHERE tx <> txid_current()) THEN RETURN 0; END IF;
  PERFORM pg_advisory_xact_lock(7302);
  SELECT seq, hash INTO last_seq, last_hash FROM audit_log ORDER BY seq DESC LIMIT 1;
  last_seq := coalesce(last_seq, 0);
  last_hash := coalesce(last_hash, repeat('0', 64));
  FOR r IN SELECT p.*, first_value(p.actor) OVER (PARTITION BY p.tx ORDER BY (p.actor IS NULL), p.n) AS tx_actor
    FROM audit_pending p WHERE p.tx <> txid_current() ORDER BY p.tx, p.n LOOP
    last_seq := last_seq + 1;
    rh := encode(pg_catalog.sha256(convert_to(r.body::text, 'UTF8')), 'hex');
    h := encode(pg_catalog.sha256(convert_to(last_hash || jsonb_build_array(last_seq, (extract(epoch FROM r.at) * 1000000)::bigint,
      coalesce(r.actor, r.tx_actor, 'db:' || session_user), r.action, r.subject, r.tbl, rh)::text, 'UTF8')), 'hex');
    INSERT INTO audit_log (seq, at, actor, action, subject, body, prev_hash, hash, v, tx, tbl, row_hash)
      VALUES (last_seq, r.at, coalesce(r.actor, r.tx_actor, 'db:' || session_user), r.action, r.subject, r.body, last_hash, h, 2, r.tx, r.tbl, rh);
    last_hash := h;
    done := done || r.n;
  END LOOP;
  DELETE FROM audit_pending WHERE n = ANY (done);
  RETURN cardinality(done);
END $$;
