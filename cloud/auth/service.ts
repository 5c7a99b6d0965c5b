import { createHash, randomBytes } from 'node:crypto';
import { and, eq, gt, isNull } from 'drizzle-orm';
import { v7 as uuidv7 } from 'uuid';
import { z } from 'zod';
import type { Db } from '../db/open.ts';
import { sessions, users } from '../db/schema/index.ts';
import { AppError, notFound } from '../http/errors.ts';
import { hashPassword, verifyPassword } from './password.ts';
import { PERMISSIONS, ROLES, type AuthUser, type Permission, type Role } from './roles.ts';

export const SESSION_TTL_MS = 12 * 3600_000;
const username = z.string().regex(/^[a-z0-9_.-]{2,32}$/, 'lower-case letters, digits, _ . or -, 2 to 32');
const password = z.string().min(8).max(200);

export const newUser = z.object({
  username,
  displayName: z.string().min(1).max(64),
  roles: z.array(z.enum(ROLES)).min(1).max(ROLES.length),
  permissions: z.array(z.enum(PERMISSIONS)).max(PERMISSIONS.length).default([]),
  password,
}).strict();
export const userPatch = z.object({
  displayName: z.string().min(1).max(64).optional(),
  roles: z.array(z.enum(ROLES)).min(1).max(ROLES.length).optional(),
  permissions: z.array(z.enum(PERMISSIONS)).max(PERMISSIONS.length).optional(),
  password: password.optional(),
  active: z.boolean().optional(),
}).strict();
export const loginRequest = z.object({ username: z.string().min(1).max(64), password: z.string().min(1).max(200) }).strict();

type UserRow = typeof users.$inferSelect;
const toAuthUser = (u: UserRow): AuthUser => ({
  id: u.id, username: u.username, displayName: u.displayName, roles: u.roles as Role[], permissions: u.permissions as Permission[],
});
export const publicUser = (u: UserRow) => ({ ...toAuthUser(u), active: u.active, createdAt: u.createdAt.toISOString() });

export async function createUser(db: Db, input: z.input<typeof newUser>) {
  const u = newUser.parse(input);
  const [row] = await db.insert(users).values({
    id: uuidv7(), username: u.username, displayName: u.displayName, roles: [...new Set(u.roles)],
    permissions: [...new Set(u.permissions)], passwordHash: await hashPassword(u.password),
  }).onConflictDoNothing().returning();
  if (!row) throw new AppError('duplicate', `user already exists: ${u.username}`, 409, { username: u.username });
  return publicUser(row);
}

export async function updateUser(db: Db, id: string, input: z.input<typeof userPatch>) {
  const p = userPatch.parse(input);
  if (!z.string().uuid().safeParse(id).success) throw notFound('user', id);
  const set: Partial<UserRow> = {};
  if (p.displayName !== undefined) set.displayName = p.displayName;
  if (p.roles) set.roles = [...new Set(p.roles)];
  if (p.permissions) set.permissions = [...new Set(p.permissions)];
  if (p.password) set.passwordHash = await hashPassword(p.password);
  if (p.active !== undefined) set.active = p.active;
  return db.transaction(async (tx) => {
    const [row] = Object.keys(set).length
      ? await tx.update(users).set(set).where(eq(users.id, id)).returning()
      : await tx.select().from(users).where(eq(users.id, id));
    if (!row) throw notFound('user', id);
    // A new password or a disabled account ends every session of that user.
    if (p.password || p.active === false) await tx.update(sessions).set({ endedAt: new Date() }).where(and(eq(sessions.userId, id), isNull(sessions.endedAt)));
    return publicUser(row);
  });
}

const tokenHash = (token: string) => createHash('sha256').update(token).digest('hex');

// A fixed hash to compare against when the user does not exist, so a wrong username takes
// as long as a wrong password.
let dummyHash: Promise<string> | undefined;

/** Checks the password and opens a session: an opaque random bearer token, stored hashed. */
export async function login(db: Db, input: z.input<typeof loginRequest>, now: number) {
  const { username: name, password: pw } = loginRequest.parse(input);
  const [row] = await db.select().from(users).where(eq(users.username, name));
  dummyHash ??= hashPassword('not a real password');
  const ok = await verifyPassword(pw, row?.passwordHash ?? (await dummyHash));
  if (!row || !ok || !row.active) throw new AppError('invalid_credentials', '用户名或密码错误 / wrong username or password', 401);
  const token = `tk_${randomBytes(32).toString('base64url')}`;
  const expiresAt = new Date(now + SESSION_TTL_MS);
  await db.insert(sessions).values({ tokenHash: tokenHash(token), userId: row.id, expiresAt, createdAt: new Date(now) });
  return { token, expiresAt: expiresAt.toISOString(), user: toAuthUser(row) };
}

export async function logout(db: Db, token: string, now: number): Promise<void> {
  await db.update(sessions).set({ endedAt: new Date(now) }).where(eq(sessions.tokenHash, tokenHash(token)));
}

/** The user behind a live token, or undefined. */
export async function authenticate(db: Db, token: string, now: number): Promise<AuthUser | undefined> {
  if (!/^tk_[A-Za-z0-9_-]{43}$/.test(token)) return undefined;
  const [row] = await db.select({ user: users }).from(sessions).innerJoin(users, eq(users.id, sessions.userId))
    .where(and(eq(sessions.tokenHash, tokenHash(token)), isNull(sessions.endedAt), gt(sessions.expiresAt, new Date(now))));
  if (!row || !row.user.active) return undefined;
  return toAuthUser(row.user);
}

/**
 * First boot: makes the `admin` user if there is none. The password comes from config
 * (ADMIN_PASSWORD); without it a random one is made and returned so it is logged once.
 */
export async function ensureAdmin(db: Db, configured?: string): Promise<{ created: boolean; password?: string }> {
  const [existing] = await db.select({ id: users.id }).from(users).where(eq(users.username, 'admin'));
  if (existing) return { created: false };
  const pw = configured ?? randomBytes(12).toString('base64url');
  const [row] = await db.insert(users).values({
    id: uuidv7(), username: 'admin', displayName: '系统管理员', roles: ['administrator'], permissions: ['refund'],
    passwordHash: await hashPassword(pw),
  }).onConflictDoNothing().returning();
  return row ? { created: true, password: configured ? undefined : pw } : { created: false };
}

export async function userById(db: Db, id: string) {
  if (!z.string().uuid().safeParse(id).success) throw notFound('user', id);
  const [row] = await db.select().from(users).where(eq(users.id, id));
  if (!row) throw notFound('user', id);
  return row;
}
