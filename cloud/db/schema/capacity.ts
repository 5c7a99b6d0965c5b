import { integer, jsonb, pgTable, primaryKey, serial, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';

/**
 * A venue's carrying capacity (Tourism Law art. 45, LB/T 034-2014) and time-slot rules, as
 * gates receive them (shared/rules/model.ts VenueRules). A day's sales are held to its time
 * slots' quotas (time_slots).
 */
export const venueCapacity = pgTable('venue_capacity', {
  site: text('site').notNull(),
  venue: text('venue').notNull(),
  /** Persons inside at once; null = not limited. */
  capacity: integer('capacity'),
  warnPercent: integer('warn_percent').notNull().default(80),
  exemptKinds: jsonb('exempt_kinds').$type<string[]>().notNull().default([]),
  slotEarlyMinutes: integer('slot_early_minutes').notNull().default(30),
  slotLateMinutes: integer('slot_late_minutes').notNull().default(30),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
}, (t) => [primaryKey({ columns: [t.site, t.venue] })]);

/**
 * Time slots (分时预约) of a venue on a day, each with its quota: `walkIn` of it is kept for
 * the windows (walk-ins and elderly visitors without a booking). `sold` counts persons.
 */
export const timeSlots = pgTable('time_slots', {
  id: serial('id').primaryKey(),
  site: text('site').notNull(),
  venue: text('venue').notNull(),
  day: text('day').notNull(),
  slotFrom: text('slot_from').notNull(),
  slotTo: text('slot_to').notNull(),
  quota: integer('quota').notNull(),
  walkIn: integer('walk_in').notNull().default(0),
  /** Persons sold through channels and kiosks (at most quota - walkIn). */
  sold: integer('sold').notNull().default(0),
  /** Persons sold at the windows (first from the walk-in share, then from the rest). */
  soldWalkIn: integer('sold_walk_in').notNull().default(0),
}, (t) => [uniqueIndex('time_slots_venue_day_from_idx').on(t.site, t.venue, t.day, t.slotFrom)]);

/** The slot each ticket was sold for; a ticket without a row has none. */
export const ticketSlots = pgTable('ticket_slots', {
  ticketId: uuid('ticket_id').primaryKey(),
  slotId: integer('slot_id').notNull().references(() => timeSlots.id),
  persons: integer('persons').notNull(),
});

/** The slot a booking holds until it is paid (then its tickets get it) or let go. */
export const bookingSlots = pgTable('booking_slots', {
  bookingId: uuid('booking_id').primaryKey(),
  slotId: integer('slot_id').notNull().references(() => timeSlots.id),
  persons: integer('persons').notNull(),
});

/** Where a channel wants to be told of its bookings' redemptions (核销), and the secret notices are signed with. */
export const channelWebhooks = pgTable('channel_webhooks', {
  channelId: integer('channel_id').primaryKey(),
  url: text('url').notNull(),
  secret: text('secret').notNull(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});

/**
 * The outbox of notices to channels: one row per event (its id is the event id the channel
 * deduplicates on), retried with backoff until the channel answers 2xx or a day has passed.
 * `subject` is what the event is about (a ticket for a redemption), unique per kind, so an
 * entry uploaded twice makes one notice.
 */
export const channelNotices = pgTable('channel_notices', {
  id: uuid('id').primaryKey(),
  channelId: integer('channel_id').notNull(),
  kind: text('kind').notNull(),
  subject: text('subject').notNull(),
  body: jsonb('body').$type<Record<string, unknown>>().notNull(),
  /** pending, delivered, failed (gave up: a manual retry sends it again). */
  state: text('state').notNull().default('pending'),
  attempts: integer('attempts').notNull().default(0),
  nextAt: timestamp('next_at', { withTimezone: true }).notNull(),
  lastError: text('last_error'),
  lastStatus: integer('last_status'),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
  deliveredAt: timestamp('delivered_at', { withTimezone: true }),
}, (t) => [uniqueIndex('channel_notices_kind_subject_idx').on(t.kind, t.subject)]);

/**
 * A supervisor's acknowledgement of a capacity alarm (cloud/capacity/alarms.ts) on a
 * business day: `subject` is `venue:<venue>` (persons inside) or `type:<code>` (the day's
 * sales). It covers the level it saw (warning, or full too) until the level rises.
 */
export const capacityAlarmAcks = pgTable('capacity_alarm_acks', {
  site: text('site').notNull(),
  subject: text('subject').notNull(),
  day: text('day').notNull(),
  level: text('level').notNull(),
  note: text('note'),
  ackedBy: text('acked_by').notNull(),
  ackedAt: timestamp('acked_at', { withTimezone: true }).notNull().defaultNow(),
}, (t) => [primaryKey({ columns: [t.site, t.subject, t.day] })]);
