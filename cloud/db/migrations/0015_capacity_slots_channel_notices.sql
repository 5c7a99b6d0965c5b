CREATE TABLE "booking_slots" (
	"booking_id" uuid PRIMARY KEY NOT NULL,
	"slot_id" integer NOT NULL,
	"persons" integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE "channel_notices" (
	"id" uuid PRIMARY KEY NOT NULL,
	"channel_id" integer NOT NULL,
	"kind" text NOT NULL,
	"subject" text NOT NULL,
	"body" jsonb NOT NULL,
	"state" text DEFAULT 'pending' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"next_at" timestamp with time zone NOT NULL,
	"last_error" text,
	"last_status" integer,
	"created_at" timestamp with time zone NOT NULL,
	"delivered_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "channel_webhooks" (
	"channel_id" integer PRIMARY KEY NOT NULL,
	"url" text NOT NULL,
	"secret" text NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "ticket_slots" (
	"ticket_id" uuid PRIMARY KEY NOT NULL,
	"slot_id" integer NOT NULL,
	"persons" integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE "time_slots" (
	"id" serial PRIMARY KEY NOT NULL,
	"site" text NOT NULL,
	"venue" text NOT NULL,
	"day" text NOT NULL,
	"slot_from" text NOT NULL,
	"slot_to" text NOT NULL,
	"quota" integer NOT NULL,
	"walk_in" integer DEFAULT 0 NOT NULL,
	"sold" integer DEFAULT 0 NOT NULL,
	"sold_walk_in" integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE TABLE "venue_capacity" (
	"site" text NOT NULL,
	"venue" text NOT NULL,
	"capacity" integer,
	"warn_percent" integer DEFAULT 80 NOT NULL,
	"exempt_kinds" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"slot_early_minutes" integer DEFAULT 30 NOT NULL,
	"slot_late_minutes" integer DEFAULT 30 NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "venue_capacity_site_venue_pk" PRIMARY KEY("site","venue")
);
--> statement-breakpoint
ALTER TABLE "booking_slots" ADD CONSTRAINT "booking_slots_slot_id_time_slots_id_fk" FOREIGN KEY ("slot_id") REFERENCES "public"."time_slots"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ticket_slots" ADD CONSTRAINT "ticket_slots_slot_id_time_slots_id_fk" FOREIGN KEY ("slot_id") REFERENCES "public"."time_slots"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "channel_notices_kind_subject_idx" ON "channel_notices" USING btree ("kind","subject");--> statement-breakpoint
CREATE UNIQUE INDEX "time_slots_venue_day_from_idx" ON "time_slots" USING btree ("site","venue","day","slot_from");