import { index, integer, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';

/** Every passage a gate reported, once: the nonce makes ingest idempotent. */
export const entries = pgTable('entries', {
  nonce: uuid('nonce').primaryKey(),
  ticketId: uuid('ticket_id').notNull(),
  site: text('site').notNull(),
  device: text('device').notNull(),
  lane: text('lane').notNull(),
  direction: text('direction').notNull(),
  kind: text('kind').notNull(),
  persons: integer('persons').notNull(),
  deviceTime: timestamp('device_time', { withTimezone: true }).notNull(),
  correctedTime: timestamp('corrected_time', { withTimezone: true }).notNull(),
  receivedAt: timestamp('received_at', { withTimezone: true }).notNull().defaultNow(),
}, (t) => [index('entries_ticket_idx').on(t.ticketId), index('entries_corrected_time_idx').on(t.correctedTime)]);
