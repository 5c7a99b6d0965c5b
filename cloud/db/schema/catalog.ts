import { boolean, integer, jsonb, pgTable, primaryKey, serial, text, timestamp } from 'drizzle-orm/pg-core';
import type { LaneRules, TypeRules } from '../../../shared/rules/model.ts';

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
  /** Rule-engine rules of the type: kind, weekdays, entry window, per-day, re-entry, venues, face. */
  rules: jsonb('rules').$type<TypeRules>().notNull().default({ kind: 'visitor', faceRequired: false }),
  /** What the visitor carries: qr_paper, qr_phone, barcode_stock, rfid_card, ic_card, id_card, face. */
  medium: text('medium').notNull().default('qr_paper'),
  /** How a window issues it: print, barcode_activation, card_issue, id_binding, face_binding. */
  saleMethods: jsonb('sale_methods').$type<string[]>().notNull().default(['print']),
  /** Sales category: visitor, group, member, staff, guide, temporary. */
  category: text('category').notNull().default('visitor'),
  /** Tickets sellable per visit day; null = no limit. */
  dailyCapacity: integer('daily_capacity'),
  active: boolean('active').notNull().default(true),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
});

/** Lanes of a site with their release rules, set centrally and synced to the site's devices. */
export const lanes = pgTable('lanes', {
  site: text('site').notNull(),
  lane: text('lane').notNull(),
  rules: jsonb('rules').$type<LaneRules>().notNull(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
}, (t) => [primaryKey({ columns: [t.site, t.lane] })]);
