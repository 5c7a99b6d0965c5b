ALTER TABLE "channel_requests" DISABLE ROW LEVEL SECURITY;--> statement-breakpoint
DROP TABLE "channel_requests" CASCADE;--> statement-breakpoint
ALTER TABLE "sales" DROP CONSTRAINT "sales_idempotency_key_unique";--> statement-breakpoint
ALTER TABLE "member_cards" DROP CONSTRAINT "member_cards_idempotency_key_unique";--> statement-breakpoint
ALTER TABLE "orders" DROP CONSTRAINT "orders_idempotency_key_unique";--> statement-breakpoint
ALTER TABLE "idempotency_keys" ADD COLUMN "ref" jsonb;--> statement-breakpoint
ALTER TABLE "sales" DROP COLUMN "idempotency_key";--> statement-breakpoint
ALTER TABLE "sales" DROP COLUMN "request_hash";--> statement-breakpoint
ALTER TABLE "member_cards" DROP COLUMN "idempotency_key";--> statement-breakpoint
ALTER TABLE "member_cards" DROP COLUMN "request_hash";--> statement-breakpoint
ALTER TABLE "orders" DROP COLUMN "idempotency_key";--> statement-breakpoint
ALTER TABLE "orders" DROP COLUMN "request_hash";