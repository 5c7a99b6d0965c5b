CREATE TABLE `ticket_slots` (
	`ticket_id` text PRIMARY KEY NOT NULL,
	`slot_from` text NOT NULL,
	`slot_to` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `venues` (
	`venue` text PRIMARY KEY NOT NULL,
	`rules` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `entries_venue_time_idx` ON `entries` (`venue`,`corrected_time`);