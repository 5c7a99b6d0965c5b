CREATE TABLE "contracts" (
	"id" serial PRIMARY KEY NOT NULL,
	"customer_id" integer NOT NULL,
	"contract_no" text NOT NULL,
	"start_day" text NOT NULL,
	"end_day" text NOT NULL,
	"category" text NOT NULL,
	"discount_pct" integer DEFAULT 0 NOT NULL,
	"credit_limit_fen" bigint DEFAULT 0 NOT NULL,
	"settlement" text NOT NULL,
	"settlement_days" integer DEFAULT 30 NOT NULL,
	"note" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "contracts_contract_no_unique" UNIQUE("contract_no")
);
--> statement-breakpoint
CREATE TABLE "customers" (
	"id" serial PRIMARY KEY NOT NULL,
	"code" text NOT NULL,
	"name" text NOT NULL,
	"kind" text NOT NULL,
	"contact" text,
	"phone" text,
	"address" text,
	"active" boolean DEFAULT true NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "customers_code_unique" UNIQUE("code")
);
--> statement-breakpoint
CREATE TABLE "guide_ledger" (
	"id" uuid PRIMARY KEY NOT NULL,
	"guide_id" integer NOT NULL,
	"entry" text NOT NULL,
	"ref" text,
	"persons" integer DEFAULT 0 NOT NULL,
	"points" integer DEFAULT 0 NOT NULL,
	"rebate_fen" bigint DEFAULT 0 NOT NULL,
	"note" text,
	"by_user_id" uuid,
	"at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "guides" (
	"id" serial PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"name" text NOT NULL,
	"phone" text NOT NULL,
	"id_number" text,
	"license_no" text,
	"customer_id" integer,
	"discount_pct" integer DEFAULT 0 NOT NULL,
	"points_per_person" integer DEFAULT 0 NOT NULL,
	"rebate_fen_per_person" integer DEFAULT 0 NOT NULL,
	"active" boolean DEFAULT true NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "contracts" ADD CONSTRAINT "contracts_customer_id_customers_id_fk" FOREIGN KEY ("customer_id") REFERENCES "public"."customers"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "guide_ledger" ADD CONSTRAINT "guide_ledger_guide_id_guides_id_fk" FOREIGN KEY ("guide_id") REFERENCES "public"."guides"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "guides" ADD CONSTRAINT "guides_customer_id_customers_id_fk" FOREIGN KEY ("customer_id") REFERENCES "public"."customers"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "contracts_customer_idx" ON "contracts" USING btree ("customer_id");--> statement-breakpoint
CREATE INDEX "guide_ledger_guide_idx" ON "guide_ledger" USING btree ("guide_id");--> statement-breakpoint
CREATE UNIQUE INDEX "guide_ledger_visit_idx" ON "guide_ledger" USING btree ("guide_id","ref") WHERE entry = 'visit';--> statement-breakpoint
CREATE INDEX "guides_phone_idx" ON "guides" USING btree ("phone");