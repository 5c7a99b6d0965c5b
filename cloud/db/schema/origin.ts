import { index, integer, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';

/**
 * Where visitors come from: one row per party, from the ID number's region code (GB/T 2260),
 * or from what the seller entered. Province and city are stored as codes with their names
 * as resolved at the time (codes get retired; a count keeps the name it was made with).
 */
export const visitorOrigins = pgTable('visitor_origins', {
  id: uuid('id').primaryKey(),
  site: text('site').notNull(),
  at: timestamp('at', { withTimezone: true }).notNull(),
  persons: integer('persons').notNull(),
  /** id (ID number region), seller (entered at the window). */
  source: text('source').notNull(),
  provinceCode: text('province_code'),
  province: text('province'),
  cityCode: text('city_code'),
  city: text('city'),
  /** What it was recorded for: a booking number, an order or ticket id. Unique per source. */
  ref: text('ref'),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
}, (t) => [index('visitor_origins_at_idx').on(t.at), index('visitor_origins_ref_idx').on(t.ref)]);
