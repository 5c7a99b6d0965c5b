CREATE TABLE "ticket_types" (
	"id" serial PRIMARY KEY NOT NULL,
	"code" text NOT NULL,
	"name" text NOT NULL,
	"price_fen" integer NOT NULL,
	"validity_days" integer NOT NULL,
	"entries" integer NOT NULL,
	"persons" integer NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "ticket_types_code_unique" UNIQUE("code")
);
--> statement-breakpoint
CREATE TABLE "sales" (
	"id" uuid PRIMARY KEY NOT NULL,
	"site" text NOT NULL,
	"type_id" integer NOT NULL,
	"quantity" integer NOT NULL,
	"unit_price_fen" integer NOT NULL,
	"total_fen" bigint NOT NULL,
	"idempotency_key" text,
	"request_hash" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "sales_idempotency_key_unique" UNIQUE("idempotency_key")
);
--> statement-breakpoint
CREATE TABLE "tickets" (
	"id" uuid PRIMARY KEY NOT NULL,
	"sale_id" uuid NOT NULL,
	"site" text NOT NULL,
	"type_id" integer NOT NULL,
	"key_id" text NOT NULL,
	"code" text NOT NULL,
	"valid_from" timestamp with time zone NOT NULL,
	"valid_until" timestamp with time zone NOT NULL,
	"persons" integer NOT NULL,
	"entries" integer NOT NULL,
	"price_fen" integer NOT NULL,
	"revoked_reason" text,
	"issued_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "changes" (
	"seq" bigserial PRIMARY KEY NOT NULL,
	"site" text NOT NULL,
	"kind" text NOT NULL,
	"body" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "device_streams" (
	"device" text NOT NULL,
	"epoch" uuid NOT NULL,
	"site" text NOT NULL,
	"acked_up_to" bigint NOT NULL,
	"batches" integer DEFAULT 0 NOT NULL,
	"last_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "device_streams_device_epoch_pk" PRIMARY KEY("device","epoch")
);
--> statement-breakpoint
CREATE TABLE "issuer_keys" (
	"key_id" text PRIMARY KEY NOT NULL,
	"public_key" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "entries" (
	"nonce" uuid PRIMARY KEY NOT NULL,
	"ticket_id" uuid NOT NULL,
	"site" text NOT NULL,
	"device" text NOT NULL,
	"lane" text NOT NULL,
	"direction" text NOT NULL,
	"kind" text NOT NULL,
	"persons" integer NOT NULL,
	"device_time" timestamp with time zone NOT NULL,
	"corrected_time" timestamp with time zone NOT NULL,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "sales" ADD CONSTRAINT "sales_type_id_ticket_types_id_fk" FOREIGN KEY ("type_id") REFERENCES "public"."ticket_types"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tickets" ADD CONSTRAINT "tickets_sale_id_sales_id_fk" FOREIGN KEY ("sale_id") REFERENCES "public"."sales"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tickets" ADD CONSTRAINT "tickets_type_id_ticket_types_id_fk" FOREIGN KEY ("type_id") REFERENCES "public"."ticket_types"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "tickets_sale_idx" ON "tickets" USING btree ("sale_id");--> statement-breakpoint
CREATE INDEX "changes_site_seq_idx" ON "changes" USING btree ("site","seq");--> statement-breakpoint
CREATE INDEX "entries_ticket_idx" ON "entries" USING btree ("ticket_id");--> statement-breakpoint
CREATE INDEX "entries_corrected_time_idx" ON "entries" USING btree ("corrected_time");