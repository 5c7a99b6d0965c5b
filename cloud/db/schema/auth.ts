import { boolean, index, integer, jsonb, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';

/** People who use HQ: administrator, finance, marketing, window seller, gate supervisor. */
export const users = pgTable('users', {
  id: uuid('id').primaryKey(),
  username: text('username').notNull().unique(),
  displayName: text('display_name').notNull(),
  /** e.g. ["seller"]; see cloud/auth/roles.ts. */
  roles: jsonb('roles').$type<string[]>().notNull(),
  /** Extra rights beyond the role, e.g. ["refund"] for a senior seller. */
  permissions: jsonb('permissions').$type<string[]>().notNull().default([]),
  /** scrypt$N$r$p$salt$hash, all base64. */
  passwordHash: text('password_hash').notNull(),
  active: boolean('active').notNull().default(true),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
});

/** Bearer tokens: only their SHA-256 is stored, so a database dump gives no live session. */
export const sessions = pgTable('sessions', {
  tokenHash: text('token_hash').primaryKey(),
  userId: uuid('user_id').notNull().references(() => users.id),
  expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
  endedAt: timestamp('ended_at', { withTimezone: true }),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
}, (t) => [index('sessions_user_idx').on(t.userId)]);

/**
 * Wrong passwords, counted per account (the name typed) and per client address within a
 * window; `lockedUntil` set once a count reaches its limit (cloud/auth/throttle.ts). An
 * administrator lifts a lock by deleting the row.
 */
export const loginFailures = pgTable('login_failures', {
  /** `account:<name>` or `address:<ip>`. */
  key: text('key').primaryKey(),
  kind: text('kind').notNull(),
  subject: text('subject').notNull(),
  failures: integer('failures').notNull(),
  windowStart: timestamp('window_start', { withTimezone: true }).notNull(),
  lockedUntil: timestamp('locked_until', { withTimezone: true }),
  lastAt: timestamp('last_at', { withTimezone: true }).notNull(),
});
