import { integer, pgTable, serial, text, timestamp } from 'drizzle-orm/pg-core';

export const ticketTypes = pgTable('ticket_types', {
  id: serial('id').primaryKey(),
  /** Short name used by people and scripts: "adult", "child", "group10". */
  code: text('code').notNull().unique(),
  name: text('name').notNull(),
  priceFen: integer('price_fen').notNull(),
  validityDays: integer('validity_days').notNull(),
  /** Entries per person; 0 = unlimited within validity. */
  entries: integer('entries').notNull(),
  persons: integer('persons').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
});
