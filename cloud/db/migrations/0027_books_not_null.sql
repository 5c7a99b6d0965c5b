ALTER TABLE "payments" ALTER COLUMN "book" SET NOT NULL;--> statement-breakpoint
ALTER TABLE "refunds" ALTER COLUMN "book" SET NOT NULL;