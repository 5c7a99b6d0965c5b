CREATE TABLE `booking_tickets` (
	`ticket_id` text PRIMARY KEY NOT NULL,
	`order_no` text NOT NULL,
	`code` text NOT NULL,
	`type_id` integer NOT NULL,
	`persons` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `booking_tickets_order_idx` ON `booking_tickets` (`order_no`);--> statement-breakpoint
CREATE INDEX `booking_tickets_code_idx` ON `booking_tickets` (`code`);--> statement-breakpoint
CREATE TABLE `bookings` (
	`order_no` text PRIMARY KEY NOT NULL,
	`pickup_code` text NOT NULL,
	`visit_day` text NOT NULL,
	`valid_until` integer NOT NULL,
	`state` text NOT NULL,
	`phone_hash` text NOT NULL,
	`phone_last4` text NOT NULL,
	`id_hash` text,
	`contact_name` text NOT NULL,
	`seq` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `bookings_pickup_code_idx` ON `bookings` (`pickup_code`);--> statement-breakpoint
CREATE INDEX `bookings_phone_idx` ON `bookings` (`phone_hash`);--> statement-breakpoint
CREATE INDEX `bookings_id_idx` ON `bookings` (`id_hash`);--> statement-breakpoint
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
	`pickup_id` text NOT NULL,
	`body` text NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`next_attempt_at` integer NOT NULL,
	`last_error` text,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `outbox_pickup_id_unique` ON `outbox` (`pickup_id`);--> statement-breakpoint
CREATE TABLE `pickups` (
	`pickup_id` text PRIMARY KEY NOT NULL,
	`order_no` text NOT NULL,
	`state` text NOT NULL,
	`printed` text NOT NULL,
	`total` integer NOT NULL,
	`source` text NOT NULL,
	`created_at` integer NOT NULL,
	`done_at` integer,
	`hq_result` text
);
--> statement-breakpoint
CREATE INDEX `pickups_order_idx` ON `pickups` (`order_no`);--> statement-breakpoint
CREATE TABLE `sales` (
	`attempt_id` text PRIMARY KEY NOT NULL,
	`items` text NOT NULL,
	`amount_fen` integer NOT NULL,
	`state` text NOT NULL,
	`tickets` text,
	`printed` text DEFAULT '[]' NOT NULL,
	`error` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `templates` (
	`key` text PRIMARY KEY NOT NULL,
	`body` text NOT NULL,
	`seq` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `ticket_types` (
	`type_id` integer PRIMARY KEY NOT NULL,
	`code` text NOT NULL,
	`name` text NOT NULL,
	`price_fen` integer NOT NULL,
	`persons` integer NOT NULL,
	`entries` integer NOT NULL,
	`validity_days` integer NOT NULL
);
