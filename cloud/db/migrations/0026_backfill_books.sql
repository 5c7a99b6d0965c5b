-- Payments and refunds written before books existed (book is null) are put in the book they
-- were in by every rule the ledger follows now (cloud/ledger/till.ts): their shift if they
-- name one (a shift unknown to HQ is then named by the reconciliation), else a channel's
-- settlement for a channel's order, else the finance office's cash book (money taken outside
-- every shift is handed in there). Nothing is left outside all books.
-- The audit chain's images of the rows are written again (a `baseline` by `migration`), with
-- the row triggers off for the update itself: payments and refunds never change after the
-- insert, so an ordinary update of them would be reported as tampering.
CREATE TEMP TABLE backfill_books_payments AS
  SELECT p.id, CASE WHEN p.shift_id IS NOT NULL THEN 'shift' WHEN o.channel = 'channel' THEN 'channel' ELSE 'office' END AS book
  FROM payments p JOIN orders o ON o.id = p.order_id WHERE p.book IS NULL;--> statement-breakpoint
CREATE TEMP TABLE backfill_books_refunds AS
  SELECT r.id, CASE WHEN r.shift_id IS NOT NULL THEN 'shift' WHEN o.channel = 'channel' THEN 'channel' ELSE 'office' END AS book
  FROM refunds r JOIN orders o ON o.id = r.order_id WHERE r.book IS NULL;--> statement-breakpoint
ALTER TABLE payments DISABLE TRIGGER audit_row;--> statement-breakpoint
ALTER TABLE refunds DISABLE TRIGGER audit_row;--> statement-breakpoint
UPDATE payments p SET book = b.book FROM backfill_books_payments b WHERE b.id = p.id;--> statement-breakpoint
UPDATE refunds r SET book = b.book FROM backfill_books_refunds b WHERE b.id = r.id;--> statement-breakpoint
ALTER TABLE payments ENABLE TRIGGER audit_row;--> statement-breakpoint
ALTER TABLE refunds ENABLE TRIGGER audit_row;--> statement-breakpoint
INSERT INTO audit_pending (actor, action, subject, tbl, body)
  SELECT 'migration', 'baseline', p.id::text, 'payments', to_jsonb(p) FROM payments p JOIN backfill_books_payments b ON b.id = p.id ORDER BY p.id;--> statement-breakpoint
INSERT INTO audit_pending (actor, action, subject, tbl, body)
  SELECT 'migration', 'baseline', r.id::text, 'refunds', to_jsonb(r) FROM refunds r JOIN backfill_books_refunds b ON b.id = r.id ORDER BY r.id;--> statement-breakpoint
DROP TABLE backfill_books_payments;--> statement-breakpoint
DROP TABLE backfill_books_refunds;
