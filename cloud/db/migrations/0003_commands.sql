CREATE TABLE "commands" (
	"id" uuid PRIMARY KEY NOT NULL,
	"site" text NOT NULL,
	"device" text NOT NULL,
	"name" text NOT NULL,
	"args" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"status" text DEFAULT 'sent' NOT NULL,
	"detail" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "commands_device_idx" ON "commands" USING btree ("site","device","status");