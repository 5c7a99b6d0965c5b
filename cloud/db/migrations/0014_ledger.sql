CREATE TABLE "idempotency_keys" (
	"scope" text NOT NULL,
	"key" text NOT NULL,
	"request_hash" text NOT NULL,
	"status" integer,
	"response" jsonb,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "idempotency_keys_scope_key_pk" PRIMARY KEY("scope","key")
);
--> statement-breakpoint
ALTER TABLE "orders" ALTER COLUMN "seller_id" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "payments" ALTER COLUMN "user_id" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "refunds" ALTER COLUMN "user_id" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "shifts" ALTER COLUMN "seller_id" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "orders" ADD COLUMN "channel" text DEFAULT 'window' NOT NULL;--> statement-breakpoint
ALTER TABLE "orders" ADD COLUMN "source" text;--> statement-breakpoint
ALTER TABLE "orders" ADD COLUMN "free_reason" text;--> statement-breakpoint
ALTER TABLE "payments" ADD COLUMN "book" text;--> statement-breakpoint
ALTER TABLE "refunds" ADD COLUMN "book" text;--> statement-breakpoint
ALTER TABLE "shifts" ADD COLUMN "site" text;--> statement-breakpoint
ALTER TABLE "shifts" ADD COLUMN "device" text;--> statement-breakpoint
ALTER TABLE "shifts" ADD COLUMN "day" text;--> statement-breakpoint
CREATE UNIQUE INDEX "shifts_device_day_idx" ON "shifts" USING btree ("site","device","day") WHERE "shifts"."device" is not null;