CREATE TABLE "capacity_alarm_acks" (
	"site" text NOT NULL,
	"subject" text NOT NULL,
	"day" text NOT NULL,
	"level" text NOT NULL,
	"note" text,
	"acked_by" text NOT NULL,
	"acked_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "capacity_alarm_acks_site_subject_day_pk" PRIMARY KEY("site","subject","day")
);
--> statement-breakpoint
CREATE INDEX "bookings_held_idx" ON "bookings" USING btree ("channel_id","visit_day","hold_until") WHERE "bookings"."state" = 'booked';