import { index, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { tickets } from './sales.ts';

/**
 * The face bound to a ticket (real-name tickets, annual cards): the embedding only, never the
 * photo, with the id of the model that made it (descriptors of different models are not
 * comparable: a model change means enrolling again). Deleted when the ticket expires.
 */
export const faces = pgTable('faces', {
  ticketId: uuid('ticket_id').primaryKey().references(() => tickets.id),
  site: text('site').notNull(),
  model: text('model').notNull(),
  /** base64 of little-endian float32. */
  embedding: text('embedding').notNull(),
  /** Where the photo came from: an upload, the window camera, the ID card reader. */
  source: text('source').notNull(),
  validUntil: timestamp('valid_until', { withTimezone: true }).notNull(),
  enrolledAt: timestamp('enrolled_at', { withTimezone: true }).notNull().defaultNow(),
}, (t) => [index('faces_valid_until_idx').on(t.validUntil)]);
