import { sql } from 'drizzle-orm';
import { bigint, index, integer, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { ticketTypes } from './catalog.ts';

export const sales = pgTable('sales', {
  id: uuid('id').primaryKey(),
  site: text('site').notNull(),
  typeId: integer('type_id').notNull().references(() => ticketTypes.id),
  quantity: integer('quantity').notNull(),
  unitPriceFen: integer('unit_price_fen').notNull(),
  totalFen: bigint('total_fen', { mode: 'number' }).notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  /** Set when the sale is one line of a window order (orders.id). */
  orderId: uuid('order_id'),
  /** List price per ticket before the discount (from the price calendar). */
  listPriceFen: integer('list_price_fen'),
  discountCode: text('discount_code'),
  /** group: one ticket for all `persons`; otherwise one ticket each. */
  groupMode: text('group_mode'),
  persons: integer('persons'),
}, (t) => [index('sales_order_idx').on(t.orderId), index('sales_created_idx').on(t.createdAt)]);

export const tickets = pgTable('tickets', {
  id: uuid('id').primaryKey(),
  saleId: uuid('sale_id').notNull().references(() => sales.id),
  site: text('site').notNull(),
  typeId: integer('type_id').notNull().references(() => ticketTypes.id),
  keyId: text('key_id').notNull(),
  code: text('code').notNull(),
  validFrom: timestamp('valid_from', { withTimezone: true }).notNull(),
  validUntil: timestamp('valid_until', { withTimezone: true }).notNull(),
  persons: integer('persons').notNull(),
  entries: integer('entries').notNull(),
  priceFen: integer('price_fen').notNull(),
  revokedReason: text('revoked_reason'),
  issuedAt: timestamp('issued_at', { withTimezone: true }).notNull().defaultNow(),
}, (t) => [
  index('tickets_sale_idx').on(t.saleId),
  // The tickets list pages by issue time (cloud/search/tickets.ts).
  index('tickets_issued_idx').on(t.issuedAt),
]);

/**
 * Cache-resolved credentials bound to a ticket: barcode stock, card UID, ID card number (kept
 * as its lookup hash, shared/booking/lookup.ts, never in the clear). A binding lives as long
 * as its ticket: it is released when the ticket is refunded or revoked, and when it is found
 * used up or expired as the value is bound again. A card UID or barcode has one live binding
 * at a time; an ID card may hold several (tickets for other days or venues, a member card).
 */
export const credentials = pgTable('credentials', {
  kind: text('kind').notNull(),
  value: text('value').notNull(),
  ticketId: uuid('ticket_id').notNull().references(() => tickets.id),
  site: text('site').notNull(),
  boundAt: timestamp('bound_at', { withTimezone: true }).notNull().defaultNow(),
  releasedAt: timestamp('released_at', { withTimezone: true }),
  /** refunded, lost, reissued, cancelled, used_up, expired, moved. */
  releaseReason: text('release_reason'),
}, (t) => [
  primaryKey({ columns: [t.kind, t.value, t.ticketId] }),
  index('credentials_ticket_idx').on(t.ticketId),
  uniqueIndex('credentials_live_idx').on(t.kind, t.value).where(sql`${t.releasedAt} is null and ${t.kind} <> 'idcard'`),
]);
