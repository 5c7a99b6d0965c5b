CREATE TABLE `lanes` (
	`lane` text PRIMARY KEY NOT NULL,
	`rules` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `ticket_types` (
	`type_id` integer PRIMARY KEY NOT NULL,
	`rules` text NOT NULL
);
--> statement-breakpoint
ALTER TABLE `entries` ADD `venue` text DEFAULT 'main' NOT NULL;