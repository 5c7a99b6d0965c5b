CREATE TABLE "audit_pending" (
	"n" bigserial PRIMARY KEY NOT NULL,
	"tx" bigint DEFAULT txid_current() NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	"actor" text,
	"action" text NOT NULL,
	"subject" text NOT NULL,
	"tbl" text,
	"body" jsonb NOT NULL,
	"first" boolean DEFAULT false NOT NULL
);
--> statement-breakpoint
ALTER TABLE "audit_log" ADD COLUMN "v" integer DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE "audit_log" ADD COLUMN "tx" bigint;--> statement-breakpoint
ALTER TABLE "audit_log" ADD COLUMN "tbl" text;--> statement-breakpoint
ALTER TABLE "audit_log" ADD COLUMN "row_hash" text;--> statement-breakpoint
CREATE INDEX "audit_pending_tx_idx" ON "audit_pending" USING btree ("tx");--> statement-breakpoint
CREATE INDEX "audit_log_row_idx" ON "audit_log" USING btree ("tbl","subject","seq");