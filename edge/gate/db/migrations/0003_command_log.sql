CREATE TABLE `command_log` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`status` text NOT NULL,
	`detail` text,
	`at` integer NOT NULL
);
