CREATE TABLE "ticket_use" (
	"ticket_id" uuid NOT NULL,
	"venue" text NOT NULL,
	"used" integer NOT NULL,
	"devices" text[] NOT NULL,
	CONSTRAINT "ticket_use_ticket_id_venue_pk" PRIMARY KEY("ticket_id","venue")
);
