CREATE SEQUENCE "public"."wallet_version_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1;--> statement-breakpoint
CREATE TABLE "lockers" (
	"site" text NOT NULL,
	"code" text NOT NULL,
	"mode" text NOT NULL,
	"fee_fen" integer NOT NULL,
	"wallet_id" uuid,
	"assigned_at" timestamp with time zone,
	"version" bigint DEFAULT 0 NOT NULL,
	CONSTRAINT "lockers_site_code_pk" PRIMARY KEY("site","code")
);
--> statement-breakpoint
CREATE TABLE "pos_charges" (
	"charge_id" uuid PRIMARY KEY NOT NULL,
	"wallet_id" uuid NOT NULL,
	"site" text NOT NULL,
	"shop" text NOT NULL,
	"device" text NOT NULL,
	"amount_fen" bigint NOT NULL,
	"items" jsonb NOT NULL,
	"void_of" uuid,
	"at" timestamp with time zone NOT NULL,
	"offline" boolean NOT NULL,
	"overspent_fen" bigint DEFAULT 0 NOT NULL,
	"after_lost" boolean DEFAULT false NOT NULL,
	"recorded_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "shop_items" (
	"shop" text NOT NULL,
	"code" text NOT NULL,
	"name" text NOT NULL,
	"price_fen" integer NOT NULL,
	"active" boolean DEFAULT true NOT NULL,
	CONSTRAINT "shop_items_shop_code_pk" PRIMARY KEY("shop","code")
);
--> statement-breakpoint
CREATE TABLE "shops" (
	"code" text PRIMARY KEY NOT NULL,
	"site" text NOT NULL,
	"name" text NOT NULL,
	"tenant" boolean DEFAULT false NOT NULL,
	"commission_bp" integer DEFAULT 0 NOT NULL,
	"active" boolean DEFAULT true NOT NULL
);
--> statement-breakpoint
CREATE TABLE "wallet_lines" (
	"movement_id" text NOT NULL,
	"account" text NOT NULL,
	"amount_fen" bigint NOT NULL,
	CONSTRAINT "wallet_lines_movement_id_account_pk" PRIMARY KEY("movement_id","account")
);
--> statement-breakpoint
CREATE TABLE "wallet_movements" (
	"id" text PRIMARY KEY NOT NULL,
	"wallet_id" uuid,
	"site" text NOT NULL,
	"kind" text NOT NULL,
	"at" timestamp with time zone NOT NULL,
	"recorded_at" timestamp with time zone NOT NULL,
	"actor" text NOT NULL,
	"shop" text,
	"detail" jsonb DEFAULT '{}'::jsonb NOT NULL
);
--> statement-breakpoint
CREATE TABLE "wallets" (
	"id" uuid PRIMARY KEY NOT NULL,
	"site" text NOT NULL,
	"band_uid" text NOT NULL,
	"state" text NOT NULL,
	"balance_fen" bigint DEFAULT 0 NOT NULL,
	"deposit_fen" bigint DEFAULT 0 NOT NULL,
	"ticket_id" uuid,
	"holder_name" text,
	"version" bigint NOT NULL,
	"opened_at" timestamp with time zone NOT NULL,
	"closed_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "lockers" ADD CONSTRAINT "lockers_wallet_id_wallets_id_fk" FOREIGN KEY ("wallet_id") REFERENCES "public"."wallets"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "pos_charges" ADD CONSTRAINT "pos_charges_wallet_id_wallets_id_fk" FOREIGN KEY ("wallet_id") REFERENCES "public"."wallets"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "shop_items" ADD CONSTRAINT "shop_items_shop_shops_code_fk" FOREIGN KEY ("shop") REFERENCES "public"."shops"("code") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "wallet_lines" ADD CONSTRAINT "wallet_lines_movement_id_wallet_movements_id_fk" FOREIGN KEY ("movement_id") REFERENCES "public"."wallet_movements"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "wallet_movements" ADD CONSTRAINT "wallet_movements_wallet_id_wallets_id_fk" FOREIGN KEY ("wallet_id") REFERENCES "public"."wallets"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "pos_charges_wallet_idx" ON "pos_charges" USING btree ("wallet_id");--> statement-breakpoint
CREATE UNIQUE INDEX "pos_charges_void_idx" ON "pos_charges" USING btree ("void_of");--> statement-breakpoint
CREATE INDEX "wallet_lines_account_idx" ON "wallet_lines" USING btree ("account");--> statement-breakpoint
CREATE INDEX "wallet_movements_wallet_idx" ON "wallet_movements" USING btree ("wallet_id");--> statement-breakpoint
CREATE INDEX "wallet_movements_at_idx" ON "wallet_movements" USING btree ("at");--> statement-breakpoint
CREATE UNIQUE INDEX "wallets_live_band_idx" ON "wallets" USING btree ("band_uid") WHERE "wallets"."state" <> 'settled';--> statement-breakpoint
CREATE INDEX "wallets_site_version_idx" ON "wallets" USING btree ("site","version");