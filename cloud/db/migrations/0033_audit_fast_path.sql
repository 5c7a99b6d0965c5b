-- The audit trigger without the work most rows do not need (bench:peak). audit_image and
-- audit_key are SQL functions with a subquery: Postgres cannot inline them, and plans such a
-- function's body afresh for every statement that calls it, so every row image cost two or
-- three plannings (~0.1 ms of the server's CPU each row; ~11 row images a sale). A table
-- without listed or redacted columns (every table but users and devices) takes its image
-- straight from to_jsonb, and a key of one column straight from the image: plain expressions,
-- planned once per connection. Images and keys are the same as before, byte for byte; the
-- functions stay for the tables that need them (and for verify).
CREATE OR REPLACE FUNCTION audit_row() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  keys text[] := string_to_array(TG_ARGV[0], ',');
  only_cols text[] := string_to_array(TG_ARGV[1], ',');
  redact text[] := string_to_array(TG_ARGV[2], ',');
  plain boolean := cardinality(only_cols) = 0 AND cardinality(redact) = 0;
  who text := nullif(current_setting('audit.actor', true), '');
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
  IF NOT plain THEN img := audit_image(img, only_cols, redact); END IF;
  IF cardinality(keys) = 1 THEN img_key := img ->> keys[1]; ELSE img_key := audit_key(img, keys); END IF;
  IF TG_OP = 'UPDATE' THEN
    before := to_jsonb(OLD);
    IF NOT plain THEN before := audit_image(before, only_cols, redact); END IF;
    IF before = img THEN RETURN NULL; END IF; -- nothing imaged changed (a busy column)
    IF cardinality(keys) = 1 THEN before_key := before ->> keys[1]; ELSE before_key := audit_key(before, keys); END IF;
    IF before_key IS DISTINCT FROM img_key THEN
      -- a new key: the old row is gone, a new one is there
      INSERT INTO audit_pending (actor, action, subject, tbl, body) VALUES (who, 'delete', before_key, TG_TABLE_NAME, before);
      INSERT INTO audit_pending (actor, action, subject, tbl, body) VALUES (who, 'insert', img_key, TG_TABLE_NAME, img);
      RETURN NULL;
    END IF;
  END IF;
  INSERT INTO audit_pending (actor, action, subject, tbl, body) VALUES (who, lower(TG_OP), img_key, TG_TABLE_NAME, img);
  RETURN NULL;
END $$;
