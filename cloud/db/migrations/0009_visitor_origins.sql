CREATE TABLE "visitor_origins" (
	"id" uuid PRIMARY KEY NOT NULL,
	"site" text NOT NULL,
	"at" timestamp with time zone NOT NULL,
	"persons" integer NOT NULL,
	"source" text NOT NULL,
	"province_code" text,
	"province" text,
	"city_code" text,
	"city" text,
	"ref" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "visitor_origins_at_idx" ON "visitor_origins" USING btree ("at");--> statement-breakpoint
CREATE INDEX "visitor_origins_ref_idx" ON "visitor_origins" USING btree ("ref");