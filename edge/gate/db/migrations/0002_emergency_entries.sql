PRAGMA foreign_keys=OFF;--> statement-breakpoint
CREATE TABLE `__new_entries` (
	`nonce` text PRIMARY KEY NOT NULL,
	`ticket_id` text,
	`device` text NOT NULL,
	`lane` text NOT NULL,
	`venue` text DEFAULT 'main' NOT NULL,
	`direction` text NOT NULL,
	`kind` text NOT NULL,
	`persons` integer NOT NULL,
	`device_time` integer NOT NULL,
	`corrected_time` integer NOT NULL
);
--> statement-breakpoint
INSERT INTO `__new_entries`("nonce", "ticket_id", "device", "lane", "venue", "direction", "kind", "persons", "device_time", "corrected_time") SELECT "nonce", "ticket_id", "device", "lane", "venue", "direction", "kind", "persons", "device_time", "corrected_time" FROM `entries`;--> statement-breakpoint
DROP TABLE `entries`;--> statement-breakpoint
ALTER TABLE `__new_entries` RENAME TO `entries`;--> statement-breakpoint
PRAGMA foreign_keys=ON;--> statement-breakpoint
CREATE INDEX `entries_ticket_time_idx` ON `entries` (`ticket_id`,`corrected_time`);