CREATE TABLE "booking_items" (
	"booking_id" uuid NOT NULL,
	"type_id" integer NOT NULL,
	"quantity" integer NOT NULL,
	"unit_price_fen" integer NOT NULL,
	"sale_id" uuid,
	CONSTRAINT "booking_items_booking_id_type_id_pk" PRIMARY KEY("booking_id","type_id")
);
--> statement-breakpoint
CREATE TABLE "booking_pickups" (
	"pickup_id" text PRIMARY KEY NOT NULL,
	"booking_id" uuid NOT NULL,
	"site" text NOT NULL,
	"device" text NOT NULL,
	"at" timestamp with time zone NOT NULL,
	"offline" boolean DEFAULT false NOT NULL,
	"flag" text,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "bookings" (
	"id" uuid PRIMARY KEY NOT NULL,
	"order_no" text NOT NULL,
	"channel_id" integer NOT NULL,
	"external_ref" text,
	"site" text NOT NULL,
	"visit_day" text NOT NULL,
	"state" text NOT NULL,
	"contact_name" text NOT NULL,
	"phone_hash" text NOT NULL,
	"phone_last4" text NOT NULL,
	"id_hash" text,
	"id_region" text,
	"pickup_code" text NOT NULL,
	"quantity" integer NOT NULL,
	"total_fen" bigint NOT NULL,
	"payment_ref" text,
	"customer_id" integer,
	"hold_until" timestamp with time zone NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"paid_at" timestamp with time zone,
	"cancelled_at" timestamp with time zone,
	"cancel_reason" text,
	"picked_up_at" timestamp with time zone,
	CONSTRAINT "bookings_order_no_unique" UNIQUE("order_no"),
	CONSTRAINT "bookings_pickup_code_unique" UNIQUE("pickup_code")
);
--> statement-breakpoint
CREATE TABLE "channel_day_usage" (
	"channel_id" integer NOT NULL,
	"day" text NOT NULL,
	"used" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "channel_day_usage_channel_id_day_pk" PRIMARY KEY("channel_id","day")
);
--> statement-breakpoint
CREATE TABLE "channel_prices" (
	"channel_id" integer NOT NULL,
	"type_id" integer NOT NULL,
	"price_fen" integer NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "channel_prices_channel_id_type_id_pk" PRIMARY KEY("channel_id","type_id")
);
--> statement-breakpoint
CREATE TABLE "channel_requests" (
	"channel_id" integer NOT NULL,
	"key" text NOT NULL,
	"request_hash" text NOT NULL,
	"status" integer,
	"response" jsonb,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "channel_requests_channel_id_key_pk" PRIMARY KEY("channel_id","key")
);
--> statement-breakpoint
CREATE TABLE "channels" (
	"id" serial PRIMARY KEY NOT NULL,
	"code" text NOT NULL,
	"name" text NOT NULL,
	"kind" text NOT NULL,
	"site" text NOT NULL,
	"key_hash" text NOT NULL,
	"key_prefix" text NOT NULL,
	"daily_quota" integer,
	"cancel_cutoff_minutes" integer DEFAULT 0 NOT NULL,
	"max_days_ahead" integer DEFAULT 60 NOT NULL,
	"hold_minutes" integer DEFAULT 30 NOT NULL,
	"customer_id" integer,
	"active" boolean DEFAULT true NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "channels_code_unique" UNIQUE("code"),
	CONSTRAINT "channels_key_hash_unique" UNIQUE("key_hash")
);
--> statement-breakpoint
ALTER TABLE "booking_items" ADD CONSTRAINT "booking_items_booking_id_bookings_id_fk" FOREIGN KEY ("booking_id") REFERENCES "public"."bookings"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "booking_items" ADD CONSTRAINT "booking_items_type_id_ticket_types_id_fk" FOREIGN KEY ("type_id") REFERENCES "public"."ticket_types"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "booking_items" ADD CONSTRAINT "booking_items_sale_id_sales_id_fk" FOREIGN KEY ("sale_id") REFERENCES "public"."sales"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "booking_pickups" ADD CONSTRAINT "booking_pickups_booking_id_bookings_id_fk" FOREIGN KEY ("booking_id") REFERENCES "public"."bookings"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "bookings" ADD CONSTRAINT "bookings_channel_id_channels_id_fk" FOREIGN KEY ("channel_id") REFERENCES "public"."channels"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "channel_day_usage" ADD CONSTRAINT "channel_day_usage_channel_id_channels_id_fk" FOREIGN KEY ("channel_id") REFERENCES "public"."channels"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "channel_prices" ADD CONSTRAINT "channel_prices_channel_id_channels_id_fk" FOREIGN KEY ("channel_id") REFERENCES "public"."channels"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "channel_prices" ADD CONSTRAINT "channel_prices_type_id_ticket_types_id_fk" FOREIGN KEY ("type_id") REFERENCES "public"."ticket_types"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "channel_requests" ADD CONSTRAINT "channel_requests_channel_id_channels_id_fk" FOREIGN KEY ("channel_id") REFERENCES "public"."channels"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "booking_pickups_booking_idx" ON "booking_pickups" USING btree ("booking_id");--> statement-breakpoint
CREATE UNIQUE INDEX "booking_pickups_counted_idx" ON "booking_pickups" USING btree ("booking_id") WHERE flag is null;--> statement-breakpoint
CREATE INDEX "bookings_channel_day_idx" ON "bookings" USING btree ("channel_id","visit_day");--> statement-breakpoint
CREATE INDEX "bookings_phone_idx" ON "bookings" USING btree ("phone_hash");--> statement-breakpoint
CREATE INDEX "bookings_id_idx" ON "bookings" USING btree ("id_hash");--> statement-breakpoint
CREATE INDEX "bookings_created_idx" ON "bookings" USING btree ("created_at");