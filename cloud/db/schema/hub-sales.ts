import { bigint, index, integer, pgTable, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core';

/**
 * Signing keys HQ delegated to site hubs: a hub that sells while the WAN is down signs its
 * codes with its own key, trusted by its site's gates for codes valid up to `notAfter`.
 * The private half never leaves the hub.
 */
export const hubKeys = pgTable('hub_keys', {
  keyId: text('key_id').primaryKey(),
  site: text('site').notNull(),
  hub: text('hub').notNull(),
  publicKey: text('public_key').notNull(),
  notAfter: timestamp('not_after', { withTimezone: true }).notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  renewedAt: timestamp('renewed_at', { withTimezone: true }).notNull().defaultNow(),
});

/**
 * Each entry of a hub's sale journal HQ has taken, by the hub's own number: an entry sent
 * again (the answer was lost on the line) is recognised and never recorded twice.
 */
export const hubUploads = pgTable('hub_uploads', {
  site: text('site').notNull(),
  hub: text('hub').notNull(),
  seq: bigint('seq', { mode: 'number' }).notNull(),
  kind: text('kind').notNull(),
  /** SHA-256 of the entry as the hub sent it: the same number with other content is refused. */
  digest: text('digest').notNull(),
  orderId: uuid('order_id'),
  totalFen: bigint('total_fen', { mode: 'number' }).notNull().default(0),
  persons: integer('persons').notNull().default(0),
  receivedAt: timestamp('received_at', { withTimezone: true }).notNull().defaultNow(),
}, (t) => [primaryKey({ columns: [t.site, t.hub, t.seq] }), index('hub_uploads_order_idx').on(t.orderId)]);

/**
 * A hub's lease of a share of capacity (cloud/hub-sales/leases.ts): places HQ holds for a
 * site hub, which sells them while the WAN is down. `kind` 'day' is a ticket type's daily
 * capacity (`ref` the type id, day_capacity), 'slot' a time slot's quota (`ref` the slot id,
 * time_slots). Counters are cumulative, so a lost answer is repaired by the next exchange:
 * the pool holds granted - returned for the hub; `sold` is what the hub said it sold of it,
 * `recorded` what its uploaded sales took of it.
 */
export const hubLeases = pgTable('hub_leases', {
  site: text('site').notNull(),
  hub: text('hub').notNull(),
  kind: text('kind').notNull(),
  ref: integer('ref').notNull(),
  day: text('day').notNull(),
  granted: integer('granted').notNull().default(0),
  returned: integer('returned').notNull().default(0),
  sold: integer('sold').notNull().default(0),
  recorded: integer('recorded').notNull().default(0),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
}, (t) => [primaryKey({ columns: [t.site, t.hub, t.kind, t.ref, t.day] }), index('hub_leases_day_idx').on(t.day)]);
