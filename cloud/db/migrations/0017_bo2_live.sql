CREATE TABLE "device_alarm_acks" (
	"site" text NOT NULL,
	"device" text NOT NULL,
	"code" text NOT NULL,
	"count" integer DEFAULT 0 NOT NULL,
	"message" text DEFAULT '' NOT NULL,
	"note" text,
	"acked_by" text NOT NULL,
	"acked_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "device_alarm_acks_site_device_code_pk" PRIMARY KEY("site","device","code")
);
