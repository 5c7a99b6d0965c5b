CREATE TABLE `credentials` (
	`kind` text NOT NULL,
	`value` text NOT NULL,
	`ticket_id` text NOT NULL,
	PRIMARY KEY(`kind`, `value`)
);
--> statement-breakpoint
CREATE TABLE `entries` (
	`nonce` text PRIMARY KEY NOT NULL,
	`ticket_id` text NOT NULL,
	`device` text NOT NULL,
	`lane` text NOT NULL,
	`direction` text NOT NULL,
	`kind` text NOT NULL,
	`persons` integer NOT NULL,
	`device_time` integer NOT NULL,
	`corrected_time` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `entries_ticket_idx` ON `entries` (`ticket_id`);--> statement-breakpoint
CREATE TABLE `issuer_keys` (
	`key_id` text PRIMARY KEY NOT NULL,
	`public_key` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `meta` (
	`key` text PRIMARY KEY NOT NULL,
	`value` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `outbox` (
	`seq` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`kind` text NOT NULL,
	`body` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `revocations` (
	`ticket_id` text PRIMARY KEY NOT NULL,
	`reason` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `tickets` (
	`id` text PRIMARY KEY NOT NULL,
	`type_id` integer NOT NULL,
	`valid_from` integer NOT NULL,
	`valid_until` integer NOT NULL,
	`persons` integer NOT NULL,
	`entries` integer NOT NULL
);
