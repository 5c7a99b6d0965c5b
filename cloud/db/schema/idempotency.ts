import { integer, jsonb, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';

/**
 * Every write endpoint's Idempotency-Key, one table for all (cloud/http/idempotency.ts):
 * `scope` names who may reuse a key (a user, a device, a channel). The row is written in the
 * same transaction as the write it guards; the answer is added after the commit and replayed
 * to a retry of the same request.
 */
export const idempotencyKeys = pgTable('idempotency_keys', {
  scope: text('scope').notNull(),
  key: text('key').notNull(),
  requestHash: text('request_hash').notNull(),
  /** Null while the first request is still running. */
  status: integer('status'),
  /** The answer as stored: `{ json }`, or `{ text, contentType }`. */
  response: jsonb('response'),
  /** What the write made (an order id ...), written with it: rebuilds a lost answer. */
  ref: jsonb('ref'),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
}, (t) => [primaryKey({ columns: [t.scope, t.key] })]);
