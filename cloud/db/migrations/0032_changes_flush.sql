-- Numbers the changes sales committed to change_pending (cloud/sync/changes.ts changesAtEnd):
-- under the change log's lock (7301), held to this transaction's commit, so numbers still
-- become visible in order (a device reading since=N never skips one that commits late). The
-- sales themselves no longer hold the lock through their commit's fsync: one batch here
-- numbers every sale that committed meanwhile. Rows go in the order they were written (their
-- id): of two sales writing one row, the second writes its changes after the first committed.
-- Each statement of a plpgsql function takes a fresh snapshot, so the move after the lock sees
-- what a batch before it moved.
CREATE OR REPLACE FUNCTION changes_flush() RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
  n integer;
BEGIN
  IF NOT EXISTS (SELECT 1 FROM change_pending) THEN RETURN 0; END IF;
  PERFORM pg_advisory_xact_lock(7301);
  WITH moved AS (DELETE FROM change_pending RETURNING id, site, kind, body, created_at)
  INSERT INTO changes (site, kind, body, created_at) SELECT site, kind, body, created_at FROM moved ORDER BY id;
  GET DIAGNOSTICS n = ROW_COUNT;
  RETURN n;
END $$;
