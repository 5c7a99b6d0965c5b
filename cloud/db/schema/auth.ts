import { index, jsonb, pgTable, text, timestamp, uuid, boolean } from 'drizzle-orm/pg-core';

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
