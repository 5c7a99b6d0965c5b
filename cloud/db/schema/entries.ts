import { index, integer, jsonb, pgTable, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core';

/** Every passage a gate reported, once: the nonce makes ingest idempotent. */
export const entries = pgTable('entries', {
  nonce: uuid('nonce').primaryKey(),
  /** Null for emergency passages. */
  ticketId: uuid('ticket_id'),
  site: text('site').notNull(),
  device: text('device').notNull(),
  lane: text('lane').notNull(),
  venue: text('venue').notNull().default('main'),
  direction: text('direction').notNull(),
  kind: text('kind').notNull(),
  persons: integer('persons').notNull(),
  deviceTime: timestamp('device_time', { withTimezone: true }).notNull(),
  correctedTime: timestamp('corrected_time', { withTimezone: true }).notNull(),
  receivedAt: timestamp('received_at', { withTimezone: true }).notNull().defaultNow(),
}, (t) => [index('entries_ticket_idx').on(t.ticketId), index('entries_corrected_time_idx').on(t.correctedTime)]);

/**
 * A ticket's use at a venue, kept running by ingest (cloud/entries/ingest.ts) in the
 * transaction that inserts its entries: net person-entries (normal entries in, less
 * passages given back) and the devices that admitted it, as a recount of `entries` would
 * give. Ingest adds only the entries it inserted, so a re-sent entry counts once; the
 * counter row's lock orders two batches that use one ticket at once.
 */
export const ticketUse = pgTable('ticket_use', {
  ticketId: uuid('ticket_id').notNull(),
  venue: text('venue').notNull(),
  used: integer('used').notNull(),
  /** Devices with a normal entry of the ticket at the venue, sorted. */
  devices: text('devices').array().notNull(),
}, (t) => [primaryKey({ columns: [t.ticketId, t.venue] })]);

/** Tickets used beyond what they grant, found when entries from several offline gates meet. */
export const overUse = pgTable('over_use', {
  ticketId: uuid('ticket_id').notNull(),
  venue: text('venue').notNull(),
  site: text('site').notNull(),
  allowed: integer('allowed').notNull(),
  used: integer('used').notNull(),
  /** Devices whose entries make up the use, e.g. ["gate-1","gate-2"]. */
  devices: jsonb('devices').$type<string[]>().notNull(),
  firstFoundAt: timestamp('first_found_at', { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
}, (t) => [primaryKey({ columns: [t.ticketId, t.venue] })]);

/**
 * Entries a device reported that HQ did not accept: for a lane that is not the device's own,
 * from a device HQ does not know, at a time far from the clock. Kept (never silently
 * dropped), counted on the device, and acknowledged so the device's upload stream goes on.
 */
export const refusedEntries = pgTable('refused_entries', {
  nonce: uuid('nonce').primaryKey(),
  site: text('site').notNull(),
  device: text('device').notNull(),
  reason: text('reason').notNull(),
  ticketId: uuid('ticket_id'),
  lane: text('lane').notNull(),
  venue: text('venue').notNull(),
  direction: text('direction').notNull(),
  kind: text('kind').notNull(),
  persons: integer('persons').notNull(),
  deviceTime: timestamp('device_time', { withTimezone: true }).notNull(),
  correctedTime: timestamp('corrected_time', { withTimezone: true }).notNull(),
  receivedAt: timestamp('received_at', { withTimezone: true }).notNull().defaultNow(),
}, (t) => [index('refused_entries_device_idx').on(t.site, t.device, t.receivedAt)]);
