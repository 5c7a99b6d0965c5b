CREATE TABLE `faces` (
	`ticket_id` text PRIMARY KEY NOT NULL,
	`model` text NOT NULL,
	`sealed` blob NOT NULL,
	`valid_until` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `faces_valid_until_idx` ON `faces` (`valid_until`);