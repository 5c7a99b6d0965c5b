CREATE TABLE "hub_leases" (
	"site" text NOT NULL,
	"hub" text NOT NULL,
	"kind" text NOT NULL,
	"ref" integer NOT NULL,
	"day" text NOT NULL,
	"granted" integer DEFAULT 0 NOT NULL,
	"returned" integer DEFAULT 0 NOT NULL,
	"sold" integer DEFAULT 0 NOT NULL,
	"recorded" integer DEFAULT 0 NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "hub_leases_site_hub_kind_ref_day_pk" PRIMARY KEY("site","hub","kind","ref","day")
);
--> statement-breakpoint
CREATE INDEX "hub_leases_day_idx" ON "hub_leases" USING btree ("day");