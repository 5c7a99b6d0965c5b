CREATE TABLE `wallet_attempts` (
	`attempt_id` text PRIMARY KEY NOT NULL,
	`band_uid` text NOT NULL,
	`kind` text NOT NULL,
	`deposit_fen` integer NOT NULL,
	`top_up_fen` integer NOT NULL,
	`amount_fen` integer NOT NULL,
	`state` text NOT NULL,
	`result` text,
	`printed` integer DEFAULT false NOT NULL,
	`error` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
