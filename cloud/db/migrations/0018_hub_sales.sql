CREATE TABLE "hub_keys" (
	"key_id" text PRIMARY KEY NOT NULL,
	"site" text NOT NULL,
	"hub" text NOT NULL,
	"public_key" text NOT NULL,
	"not_after" timestamp with time zone NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"renewed_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "hub_uploads" (
	"site" text NOT NULL,
	"hub" text NOT NULL,
	"seq" bigint NOT NULL,
	"kind" text NOT NULL,
	"digest" text NOT NULL,
	"order_id" uuid,
	"total_fen" bigint DEFAULT 0 NOT NULL,
	"persons" integer DEFAULT 0 NOT NULL,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "hub_uploads_site_hub_seq_pk" PRIMARY KEY("site","hub","seq")
);
--> statement-breakpoint
CREATE INDEX "hub_uploads_order_idx" ON "hub_uploads" USING btree ("order_id");