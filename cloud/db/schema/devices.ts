import { pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';

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
