CREATE TABLE `fingerprints` (
	`ticket_id` text PRIMARY KEY NOT NULL,
	`format` text NOT NULL,
	`sealed` blob NOT NULL,
	`valid_until` integer NOT NULL,
	`page` integer
);
--> statement-breakpoint
CREATE INDEX `fingerprints_valid_until_idx` ON `fingerprints` (`valid_until`);--> statement-breakpoint
CREATE UNIQUE INDEX `fingerprints_page_idx` ON `fingerprints` (`page`);