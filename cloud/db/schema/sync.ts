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

/** What each device last said about itself: presence, lane status, reported mode. */
export const devices = pgTable('devices', {
  site: text('site').notNull(),
  device: text('device').notNull(),
  online: boolean('online').notNull().default(false),
  status: jsonb('status'),
  reported: jsonb('reported'),
  lastSeenAt: timestamp('last_seen_at', { withTimezone: true }).notNull().defaultNow(),
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
