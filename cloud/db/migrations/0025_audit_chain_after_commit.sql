-- HQ's audited transactions (auditedTx, cloud/audit/chain.ts) commit first and are chained just
-- after, by audit_chain(), in batches: at a release moment the chain's lock is then held once
-- for many sales instead of by each sale through its commit (and its fsync), and no sale's
-- row locks (a hot quota row) wait on the chain. Such a transaction says so with the setting
-- audit.defer = on; its records wait in audit_pending, committed with it, until chained.
-- Every other writer (psql, tools) is still chained at its own commit, as before.
CREATE OR REPLACE FUNCTION audit_flush() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM set_config('audit.queued', '', true);
  IF current_setting('audit.defer', true) = 'on' THEN RETURN NULL; END IF;
  PERFORM audit_append(txid_current());
  RETURN NULL;
END $$;--> statement-breakpoint

-- Chains records waiting in audit_pending: those of transaction `only_tx` (at its commit), or
-- with null every committed one (audit_chain), one transaction's records together and in the
-- order they were written, transactions in the order of their ids. hash = SHA-256(prev hash
-- || [seq, at in µs, actor, action, subject, table, SHA-256(body)] as jsonb text), as before.
-- One writer at a time (the chain's lock); what another writer chained meanwhile is gone from
-- audit_pending when the lock is ours. Returns how many it chained.
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
    FROM audit_pending p WHERE (only_tx IS NULL AND p.tx <> me) OR p.tx = only_tx ORDER BY p.tx, p.n LOOP
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
END $$;--> statement-breakpoint

-- Every committed record waiting (HQ calls it right after each audited transaction commits).
CREATE OR REPLACE FUNCTION audit_chain() RETURNS bigint LANGUAGE sql AS $$ SELECT audit_append(NULL) $$;
