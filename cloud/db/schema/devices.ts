import { integer, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';

/**
 * Every device credential HQ handed out (POST /device-credentials). Tokens derive from HQ's
 * secret and are never stored; this list is what an external broker must be told about
 * (cloud/mqtt/dynsec.ts) and what an operator audits.
 */
export const deviceCredentials = pgTable('device_credentials', {
  site: text('site').notNull(),
  device: text('device').notNull(),
  role: text('role').notNull(),
  issuedAt: timestamp('issued_at', { withTimezone: true }).notNull().defaultNow(),
}, (t) => [primaryKey({ columns: [t.site, t.device, t.role] })]);

/**
 * A supervisor's acknowledgement of a device alarm (cloud/devices/alarms.ts): the refusal
 * count (or the error text) it saw. The alarm stays acknowledged until the count grows or
 * the error changes; the acknowledgement itself is in the audit chain.
 */
export const deviceAlarmAcks = pgTable('device_alarm_acks', {
  site: text('site').notNull(),
  device: text('device').notNull(),
  code: text('code').notNull(),
  count: integer('count').notNull().default(0),
  message: text('message').notNull().default(''),
  note: text('note'),
  ackedBy: text('acked_by').notNull(),
  ackedAt: timestamp('acked_at', { withTimezone: true }).notNull().defaultNow(),
}, (t) => [primaryKey({ columns: [t.site, t.device, t.code] })]);
