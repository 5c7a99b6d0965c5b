import { sql } from 'drizzle-orm';
import { bigint, boolean, index, integer, jsonb, pgTable, primaryKey, serial, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { ticketTypes } from './catalog.ts';
import { sales } from './sales.ts';

/**
 * Sales channels of the booking API: our own web shop and OTA platforms. A channel
 * authenticates with its API key (only the SHA-256 is kept), sells at its own prices and
 * within its own daily quota.
 */
export const channels = pgTable('channels', {
  id: serial('id').primaryKey(),
  /** Short name: "web", "ctrip", "meituan". */
  code: text('code').notNull().unique(),
  name: text('name').notNull(),
  /** web (our own shop) or ota. */
  kind: text('kind').notNull(),
  site: text('site').notNull(),
  keyHash: text('key_hash').notNull().unique(),
  /** First characters of the key, to tell keys apart in lists. */
  keyPrefix: text('key_prefix').notNull(),
  /** Tickets a channel may book per visit day (all types); null = no limit. */
  dailyQuota: integer('daily_quota'),
  /** Cancellation allowed until this many minutes before the visit day starts (negative: into the day). */
  cancelCutoffMinutes: integer('cancel_cutoff_minutes').notNull().default(0),
  /** How far ahead a visit may be booked, in days. */
  maxDaysAhead: integer('max_days_ahead').notNull().default(60),
  /** An unpaid booking gives its quota back after this many minutes. */
  holdMinutes: integer('hold_minutes').notNull().default(30),
  /** Bookings of an agency that books through its own channel count towards it (customers.id, nullable). */
  customerId: integer('customer_id'),
  active: boolean('active').notNull().default(true),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
});

/** What a channel pays per ticket type; a type without a row cannot be booked through it. */
export const channelPrices = pgTable('channel_prices', {
  channelId: integer('channel_id').notNull().references(() => channels.id),
  typeId: integer('type_id').notNull().references(() => ticketTypes.id),
  priceFen: integer('price_fen').notNull(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
}, (t) => [primaryKey({ columns: [t.channelId, t.typeId] })]);

/** Tickets held per channel and visit day: raised by a conditional update, so the quota is never exceeded. */
export const channelDayUsage = pgTable('channel_day_usage', {
  channelId: integer('channel_id').notNull().references(() => channels.id),
  day: text('day').notNull(),
  used: integer('used').notNull().default(0),
}, (t) => [primaryKey({ columns: [t.channelId, t.day] })]);

/**
 * A booking from a channel. States: booked (holds quota, unpaid) -> issued (paid, tickets
 * made) -> picked_up; booked or issued -> cancelled; booked -> expired (hold ran out).
 * The visitor's phone and ID number are kept as hashes (see shared/booking/lookup.ts) with
 * the phone's last four digits and the ID number's region code (visitor origin).
 */
export const bookings = pgTable('bookings', {
  id: uuid('id').primaryKey(),
  orderNo: text('order_no').notNull().unique(),
  channelId: integer('channel_id').notNull().references(() => channels.id),
  /** The channel's own order reference, if it sent one. */
  externalRef: text('external_ref'),
  site: text('site').notNull(),
  visitDay: text('visit_day').notNull(),
  state: text('state').notNull(),
  contactName: text('contact_name').notNull(),
  phoneHash: text('phone_hash').notNull(),
  phoneLast4: text('phone_last4').notNull(),
  idHash: text('id_hash'),
  /** First six digits of the ID number (GB/T 2260 region), for visitor origin. */
  idRegion: text('id_region'),
  /** What the booking's QR carries: found at a window or kiosk, distinct from ticket codes. */
  pickupCode: text('pickup_code').notNull().unique(),
  quantity: integer('quantity').notNull(),
  totalFen: bigint('total_fen', { mode: 'number' }).notNull(),
  paymentRef: text('payment_ref'),
  customerId: integer('customer_id'),
  holdUntil: timestamp('hold_until', { withTimezone: true }).notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  paidAt: timestamp('paid_at', { withTimezone: true }),
  cancelledAt: timestamp('cancelled_at', { withTimezone: true }),
  cancelReason: text('cancel_reason'),
  pickedUpAt: timestamp('picked_up_at', { withTimezone: true }),
}, (t) => [
  index('bookings_channel_day_idx').on(t.channelId, t.visitDay),
  index('bookings_phone_idx').on(t.phoneHash),
  index('bookings_id_idx').on(t.idHash),
  index('bookings_created_idx').on(t.createdAt),
]);

/** Lines of a booking: one ticket type each. The sale holds the tickets once paid. */
export const bookingItems = pgTable('booking_items', {
  bookingId: uuid('booking_id').notNull().references(() => bookings.id),
  typeId: integer('type_id').notNull().references(() => ticketTypes.id),
  quantity: integer('quantity').notNull(),
  unitPriceFen: integer('unit_price_fen').notNull(),
  saleId: uuid('sale_id').references(() => sales.id),
}, (t) => [primaryKey({ columns: [t.bookingId, t.typeId] })]);

/**
 * Every pickup a window or device reported, by the device's own pickup id (idempotent). A
 * booking picked up twice (two kiosks offline) keeps both rows; the later is flagged.
 */
export const bookingPickups = pgTable('booking_pickups', {
  pickupId: text('pickup_id').primaryKey(),
  bookingId: uuid('booking_id').notNull().references(() => bookings.id),
  site: text('site').notNull(),
  device: text('device').notNull(),
  at: timestamp('at', { withTimezone: true }).notNull(),
  offline: boolean('offline').notNull().default(false),
  /** null: the pickup that counted; 'duplicate' (picked up already elsewhere), 'cancelled' (booking was cancelled). */
  flag: text('flag'),
  receivedAt: timestamp('received_at', { withTimezone: true }).notNull().defaultNow(),
}, (t) => [index('booking_pickups_booking_idx').on(t.bookingId), uniqueIndex('booking_pickups_counted_idx').on(t.bookingId).where(sql`flag is null`)]);
