import { Hono } from 'hono';
import { z } from 'zod';
import type { CloudContext } from '../context.ts';
import { bearer } from '../auth/middleware.ts';
import { accessTable } from '../auth/policy.ts';
import { PERMISSIONS, ROLES, type AuthUser } from '../auth/roles.ts';
import { createUser, login, loginRequest, logout, newUser, updateUser, userPatch } from '../auth/service.ts';
import { endpoint } from '../http/endpoint.ts';
import type { CloudEnv } from '../http/env.ts';
import { getGrants } from '../office/pricing/setup.ts';
import { searchUsers, userView, usersPage, usersQuery } from '../search/users.ts';
import { AppError } from '../http/errors.ts';
import { clientAddress } from '../http/client-address.ts';
import { LoginThrottle } from '../auth/throttle.ts';
import type { CloudConfig } from '../config.ts';

const throttleOf = (ctx: CloudContext) => new LoginThrottle(ctx.db, throttleLimits(ctx.config));

export const throttleLimits = (c: CloudConfig) => ({
  accountMaxFailures: c.loginMaxFailures, addressMaxFailures: c.loginAddressMaxFailures,
  windowMs: c.loginWindowMinutes * 60_000, lockoutMs: c.loginLockoutMinutes * 60_000,
});

export const authUserView = z.object({
  id: z.string(),
  username: z.string(),
  displayName: z.string(),
  roles: z.array(z.enum(ROLES)),
  permissions: z.array(z.enum(PERMISSIONS)),
}).meta({ id: 'AuthUser' });
const loginView = z.object({ token: z.string(), expiresAt: z.string(), user: authUserView }).meta({ id: 'Login' });
const userId = z.object({ id: z.string() });
const lockoutParams = z.object({ kind: z.enum(['account', 'address']), subject: z.string().min(1).max(200) });
const lockoutsView = z.object({ items: z.array(z.object({ kind: z.enum(['account', 'address']), subject: z.string(), failures: z.number().int(), lockedUntil: z.string().nullable() }).passthrough()) }).meta({ id: 'Lockouts' });
const liftedView = z.object({ lifted: z.boolean(), kind: z.string(), subject: z.string() });
const accessView = z.object({
  rules: z.array(z.object({ prefix: z.string(), methods: z.union([z.array(z.string()), z.literal('*')]), allowed: z.boolean() })),
}).meta({ id: 'Access' });

const myGrantsView = z.object({
  all: z.boolean().describe('An administrator sells every active type with every discount'),
  types: z.array(z.string()), discounts: z.array(z.string()),
}).meta({ id: 'MyGrants' });

async function myGrants(ctx: CloudContext, user: AuthUser) {
  if (user.roles.includes('administrator')) return { all: true, types: [], discounts: [] };
  if (!user.roles.includes('seller')) return { all: false, types: [], discounts: [] };
  const g = await getGrants(ctx, user.id);
  return { all: false, types: g.types, discounts: g.discounts };
}

export function authRoutes(ctx: CloudContext) {
  const throttle = throttleOf(ctx);
  return new Hono<CloudEnv>()
    .post('/login', endpoint({ summary: '登录 / log in: a bearer token for 12 hours', body: loginRequest, responses: { 200: loginView } }),
      async (c) => {
        const input = c.req.valid('json');
        const address = clientAddress(c);
        await throttle.check(input.username, address, ctx.now());
        try {
          const session = await login(ctx.db, input, ctx.now());
          await throttle.succeeded(input.username);
          return c.json(session);
        } catch (err) {
          if (err instanceof AppError && err.code === 'invalid_credentials') {
            await throttle.failed(input.username, address, ctx.now());
            ctx.log.warn({ username: input.username.slice(0, 64), address }, 'wrong password');
          }
          throw err;
        }
      })
    .post('/logout', endpoint({ summary: '退出登录 / end this token\'s session', responses: { 200: z.object({ ok: z.boolean() }) }, signedIn: true }),
      async (c) => {
        await logout(ctx.db, bearer(c)!, ctx.now());
        return c.json({ ok: true });
      })
    .get('/me', endpoint({ summary: '当前用户 / who the token belongs to', responses: { 200: authUserView }, signedIn: true }),
      (c) => c.json(c.get('user')))
    // What this user may call: the policy table with a verdict per entry, for the app's menus.
    .get('/access', endpoint({ summary: '权限表 / the access policy with this user\'s verdict per entry', responses: { 200: accessView }, signedIn: true }),
      (c) => c.json({ rules: accessTable(c.get('user').roles) }))
    // What this user may sell at a window: the ticket types and discounts granted (all for an administrator).
    .get('/grants', endpoint({ summary: '我的售票授权 / ticket types and discounts this user may sell', responses: { 200: myGrantsView }, signedIn: true }),
      async (c) => c.json(await myGrants(ctx, c.get('user'))));
}

const lockKind = z.enum(['account', 'address']);

export function userRoutes(ctx: CloudContext) {
  const throttle = throttleOf(ctx);
  return new Hono<CloudEnv>()
    .get('/', endpoint({ summary: '用户列表 / users, searched and paged', query: usersQuery, responses: { 200: usersPage } }),
      async (c) => c.json(await searchUsers(ctx, c.req.valid('query'))))
    // Login lockouts: which accounts and addresses are locked now; an administrator lifts one.
    .get('/lockouts', endpoint({ summary: '登录锁定 / accounts and addresses locked out now', responses: { 200: lockoutsView } }),
      async (c) => c.json({ items: await throttle.locked(ctx.now()) }))
    .delete('/lockouts/:kind/:subject', endpoint({ summary: '解除登录锁定 / lift a login lockout', params: lockoutParams, responses: { 200: liftedView } }),
      async (c) => {
        const { kind, subject } = c.req.valid('param');
        if (!(await throttle.lift(kind, subject))) throw new AppError('not_found', `no login failures recorded for ${kind} ${subject}`, 404, { what: 'lockout', id: `${kind} ${subject}` });
        ctx.log.info({ kind, subject }, 'login lockout lifted');
        return c.json({ lifted: true, kind, subject });
      })
    .post('/', endpoint({ summary: '新建用户 / a new user', body: newUser, responses: { 201: userView } }),
      async (c) => c.json(await createUser(ctx.db, c.req.valid('json')), 201))
    .patch('/:id', endpoint({ summary: '修改用户 / change a user; active: false ends their sessions', params: userId, body: userPatch, responses: { 200: userView } }),
      async (c) => c.json(await updateUser(ctx.db, c.req.valid('param').id, c.req.valid('json'))));
}
