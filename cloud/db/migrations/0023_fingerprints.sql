CREATE TABLE "fingerprints" (
	"ticket_id" uuid PRIMARY KEY NOT NULL,
	"site" text NOT NULL,
	"format" text NOT NULL,
	"template" text NOT NULL,
	"valid_until" timestamp with time zone NOT NULL,
	"enrolled_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "fingerprints" ADD CONSTRAINT "fingerprints_ticket_id_tickets_id_fk" FOREIGN KEY ("ticket_id") REFERENCES "public"."tickets"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "fingerprints_valid_until_idx" ON "fingerprints" USING btree ("valid_until");