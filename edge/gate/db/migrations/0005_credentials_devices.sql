CREATE TABLE `devices` (
	`device` text PRIMARY KEY NOT NULL,
	`role` text NOT NULL,
	`lanes` text NOT NULL,
	`active` integer NOT NULL
);
--> statement-breakpoint
PRAGMA foreign_keys=OFF;--> statement-breakpoint
CREATE TABLE `__new_credentials` (
	`kind` text NOT NULL,
	`value` text NOT NULL,
	`ticket_id` text NOT NULL,
	PRIMARY KEY(`kind`, `value`, `ticket_id`)
);
--> statement-breakpoint
INSERT INTO `__new_credentials`("kind", "value", "ticket_id") SELECT "kind", "value", "ticket_id" FROM `credentials`;--> statement-breakpoint
DROP TABLE `credentials`;--> statement-breakpoint
ALTER TABLE `__new_credentials` RENAME TO `credentials`;--> statement-breakpoint
PRAGMA foreign_keys=ON;