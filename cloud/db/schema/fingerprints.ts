import { index, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { tickets } from './sales.ts';

/**
 * The fingerprint bound to a ticket or member card: the fingerprint module's template (its
 * character file), never an image, with the template format (templates of different module
 * families are not comparable). Sent to the ticket's site only; deleted when the ticket ends.
 */
export const fingerprints = pgTable('fingerprints', {
  ticketId: uuid('ticket_id').primaryKey().references(() => tickets.id),
  site: text('site').notNull(),
  format: text('format').notNull(),
  /** base64 of the character file. */
  template: text('template').notNull(),
  validUntil: timestamp('valid_until', { withTimezone: true }).notNull(),
  enrolledAt: timestamp('enrolled_at', { withTimezone: true }).notNull().defaultNow(),
}, (t) => [index('fingerprints_valid_until_idx').on(t.validUntil)]);
