import { boolean, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';

/**
 * The sites HQ serves (a scenic area's gate clusters, each with its own devices and lanes).
 * Every call that names a site is checked against this table (cloud/sites/service.ts).
 */
export const sites = pgTable('sites', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  /** An inactive site sells nothing and its devices are refused. */
  active: boolean('active').notNull().default(true),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});

/** Venues of a site (park-in-park, water park...): a lane admits into one; 'main' comes with every site. */
export const venues = pgTable('venues', {
  site: text('site').notNull().references(() => sites.id),
  venue: text('venue').notNull(),
  name: text('name').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
}, (t) => [primaryKey({ columns: [t.site, t.venue] })]);
