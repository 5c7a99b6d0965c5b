import { bigint, bigserial, boolean, index, integer, jsonb, pgTable, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core';

/** Down-sync change log: devices read it with since=<seq>. Append-only. */
export const changes = pgTable('changes', {
  seq: bigserial('seq', { mode: 'number' }).primaryKey(),
  /** '*' reaches every site. */
  site: text('site').notNull(),
  kind: text('kind').notNull(),
  body: jsonb('body').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
}, (t) => [index('changes_site_seq_idx').on(t.site, t.seq)]);

/**
 * Changes committed by a sale, waiting for their number in `changes` (cloud/sync/changes.ts
 * changesAtEnd): a sale writes here without the change log's lock, and changes_flush()
 * (migration) moves what has committed into `changes` under the lock, in one batch, in the
 * order written. Devices never read this table.
 */
export const changePending = pgTable('change_pending', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  site: text('site').notNull(),
  kind: text('kind').notNull(),
  body: jsonb('body').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
});

/** Issuer public keys; the private halves stay in the data directory. */
export const issuerKeys = pgTable('issuer_keys', {
  keyId: text('key_id').primaryKey(),
  publicKey: text('public_key').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
});

/** Upload streams: one per device database life (epoch); acked up to a contiguous seq. */
export const deviceStreams = pgTable('device_streams', {
  device: text('device').notNull(),
  epoch: uuid('epoch').notNull(),
  site: text('site').notNull(),
  ackedUpTo: bigint('acked_up_to', { mode: 'number' }).notNull(),
  batches: integer('batches').notNull().default(0),
  lastSeenAt: timestamp('last_seen_at', { withTimezone: true }).notNull().defaultNow(),
}, (t) => [primaryKey({ columns: [t.device, t.epoch] })]);

/** Desired gate mode per site (device '') or per device; version from mode_version_seq. */
export const desiredModes = pgTable('desired_modes', {
  site: text('site').notNull(),
  device: text('device').notNull(),
  mode: text('mode').notNull(),
  version: bigint('version', { mode: 'number' }).notNull(),
  setAt: timestamp('set_at', { withTimezone: true }).notNull().defaultNow(),
}, (t) => [primaryKey({ columns: [t.site, t.device] })]);

/**
 * The devices of each site: provisioned by an administrator (role, the lanes it serves),
 * which decides what the device may publish, pull and be told; beside it, what the device
 * last said about itself (presence, lane status, reported mode) and what was refused from it.
 */
export const devices = pgTable('devices', {
  site: text('site').notNull(),
  device: text('device').notNull(),
  /** gate, kiosk or hub. */
  role: text('role').notNull().default('gate'),
  /** Lanes this device serves (gates): it may report entries for these only. */
  lanes: jsonb('lanes').$type<string[]>().notNull().default([]),
  name: text('name'),
  /** A deactivated device is refused at the broker and the sync endpoints. */
  active: boolean('active').notNull().default(true),
  /** Null: a row from before devices were provisioned, not a device HQ knows. */
  provisionedAt: timestamp('provisioned_at', { withTimezone: true }),
  online: boolean('online').notNull().default(false),
  status: jsonb('status'),
  reported: jsonb('reported'),
  lastSeenAt: timestamp('last_seen_at', { withTimezone: true }).notNull().defaultNow(),
  /** Entries from this device HQ refused (another device's lane, a time far off...). */
  refusedEntries: integer('refused_entries').notNull().default(0),
  /** Connections with this device's credential HQ refused (another device's client id...). */
  refusedConnections: integer('refused_connections').notNull().default(0),
  /** The newest refusal: { what, reason, at, ... }. */
  lastRefusal: jsonb('last_refusal'),
}, (t) => [primaryKey({ columns: [t.site, t.device] })]);

/** Facts about this HQ's change log, e.g. its identity: a device holding another log's checkpoint starts over. */
export const syncMeta = pgTable('sync_meta', {
  key: text('key').primaryKey(),
  value: text('value').notNull(),
});

/** Commands to devices (open once, sync now, reboot): an id, an expiry, two acknowledgements. */
export const commands = pgTable('commands', {
  id: uuid('id').primaryKey(),
  site: text('site').notNull(),
  device: text('device').notNull(),
  name: text('name').notNull(),
  args: jsonb('args').notNull().default({}),
  expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
  /** sent, accepted, done, failed, expired. */
  status: text('status').notNull().default('sent'),
  detail: text('detail'),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
}, (t) => [index('commands_device_idx').on(t.site, t.device, t.status)]);
