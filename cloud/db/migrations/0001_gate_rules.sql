CREATE TABLE "lanes" (
	"site" text NOT NULL,
	"lane" text NOT NULL,
	"rules" jsonb NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "lanes_site_lane_pk" PRIMARY KEY("site","lane")
);
--> statement-breakpoint
CREATE TABLE "credentials" (
	"kind" text NOT NULL,
	"value" text NOT NULL,
	"ticket_id" uuid NOT NULL,
	"site" text NOT NULL,
	"bound_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "credentials_kind_value_pk" PRIMARY KEY("kind","value")
);
--> statement-breakpoint
CREATE TABLE "desired_modes" (
	"site" text NOT NULL,
	"device" text NOT NULL,
	"mode" text NOT NULL,
	"version" bigint NOT NULL,
	"set_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "desired_modes_site_device_pk" PRIMARY KEY("site","device")
);
--> statement-breakpoint
CREATE TABLE "devices" (
	"site" text NOT NULL,
	"device" text NOT NULL,
	"online" boolean DEFAULT false NOT NULL,
	"status" jsonb,
	"reported" jsonb,
	"last_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "devices_site_device_pk" PRIMARY KEY("site","device")
);
--> statement-breakpoint
CREATE TABLE "over_use" (
	"ticket_id" uuid NOT NULL,
	"venue" text NOT NULL,
	"site" text NOT NULL,
	"allowed" integer NOT NULL,
	"used" integer NOT NULL,
	"devices" jsonb NOT NULL,
	"first_found_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "over_use_ticket_id_venue_pk" PRIMARY KEY("ticket_id","venue")
);
--> statement-breakpoint
ALTER TABLE "entries" ALTER COLUMN "ticket_id" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "ticket_types" ADD COLUMN "rules" jsonb DEFAULT '{"kind":"visitor","faceRequired":false}'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "entries" ADD COLUMN "venue" text DEFAULT 'main' NOT NULL;--> statement-breakpoint
ALTER TABLE "credentials" ADD CONSTRAINT "credentials_ticket_id_tickets_id_fk" FOREIGN KEY ("ticket_id") REFERENCES "public"."tickets"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "credentials_ticket_idx" ON "credentials" USING btree ("ticket_id");