CREATE TABLE "sites" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"active" boolean DEFAULT true NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "venues" (
	"site" text NOT NULL,
	"venue" text NOT NULL,
	"name" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "venues_site_venue_pk" PRIMARY KEY("site","venue")
);
--> statement-breakpoint
CREATE TABLE "refused_entries" (
	"nonce" uuid PRIMARY KEY NOT NULL,
	"site" text NOT NULL,
	"device" text NOT NULL,
	"reason" text NOT NULL,
	"ticket_id" uuid,
	"lane" text NOT NULL,
	"venue" text NOT NULL,
	"direction" text NOT NULL,
	"kind" text NOT NULL,
	"persons" integer NOT NULL,
	"device_time" timestamp with time zone NOT NULL,
	"corrected_time" timestamp with time zone NOT NULL,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "credentials" DROP CONSTRAINT "credentials_kind_value_pk";--> statement-breakpoint
ALTER TABLE "credentials" ADD CONSTRAINT "credentials_kind_value_ticket_id_pk" PRIMARY KEY("kind","value","ticket_id");--> statement-breakpoint
ALTER TABLE "credentials" ADD COLUMN "released_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "credentials" ADD COLUMN "release_reason" text;--> statement-breakpoint
ALTER TABLE "devices" ADD COLUMN "role" text DEFAULT 'gate' NOT NULL;--> statement-breakpoint
ALTER TABLE "devices" ADD COLUMN "lanes" jsonb DEFAULT '[]'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "devices" ADD COLUMN "name" text;--> statement-breakpoint
ALTER TABLE "devices" ADD COLUMN "active" boolean DEFAULT true NOT NULL;--> statement-breakpoint
ALTER TABLE "devices" ADD COLUMN "provisioned_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "devices" ADD COLUMN "refused_entries" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "devices" ADD COLUMN "refused_connections" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "devices" ADD COLUMN "last_refusal" jsonb;--> statement-breakpoint
ALTER TABLE "venues" ADD CONSTRAINT "venues_site_sites_id_fk" FOREIGN KEY ("site") REFERENCES "public"."sites"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "refused_entries_device_idx" ON "refused_entries" USING btree ("site","device","received_at");--> statement-breakpoint
CREATE UNIQUE INDEX "credentials_live_idx" ON "credentials" USING btree ("kind","value") WHERE "credentials"."released_at" is null and "credentials"."kind" <> 'idcard';